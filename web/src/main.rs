//! The console's entry point (built by Trunk for `wasm32-unknown-unknown`). On the host it
//! does nothing: the console is never built for the host except as this empty shell, so
//! `cargo clippy --workspace` stays cheap.

fn main() {
    #[cfg(all(target_arch = "wasm32", feature = "ui"))]
    baryon_console::app::start();
}
