//! A Service Catalog rpc-v2-cbor request body: the first byte picks the operation, the rest is
//! the CBOR the engine decodes (`cbor::decode`) into the awsJson document, which is then
//! validated against that operation's input and re-encoded against its output shape, as the
//! response path does. Bad input must be an error, never a panic.
#![no_main]

use baryon_engine::cbor;
use baryon_model::servicecatalog::{Operation, SERVICE};
use baryon_model::validate::validate_input;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let op = Operation::ALL[usize::from(pick) % Operation::ALL.len()];
    let Ok(value) = cbor::decode(body) else {
        return;
    };
    assert!(value.is_object(), "decode must give a map: {value}");
    if let Err(errors) = validate_input(&SERVICE, op.name(), &value) {
        let _ = errors.to_string();
    }
    // The response encoder walks the output shape over any document without panicking.
    let _ = cbor::encode(&SERVICE, op.def().output, &value);
});
