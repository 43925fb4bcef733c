//! The schema-generated inputs form (the view of [`crate::form`]): one control per input,
//! its description, default and constraints, and the validation messages next to it.

use leptos::prelude::*;

use baryon_model::diagnostic::Diagnostic;

use crate::api::ApiError;
use crate::form::{Field, FieldKind, FieldMessages, InputForm, InputSet, Values, input_form};

/// A schema that cannot be read, as the console's error.
pub fn schema_error(diagnostics: &[Diagnostic]) -> ApiError {
    ApiError {
        kind: "SchemaError".into(),
        message: diagnostics
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// A service template version's instance inputs form (empty when it declares none).
pub fn instance_form(schema: &str) -> Result<InputForm, ApiError> {
    Ok(input_form(schema, InputSet::ServiceInstance)
        .map_err(|d| schema_error(&d))?
        .unwrap_or_else(InputForm::empty))
}

/// Renders `form`'s fields, editing `values`; `messages` are shown next to their fields.
/// `id_prefix` keeps control ids unique when several forms share a page.
#[component]
#[allow(clippy::needless_pass_by_value)] // component props are owned
pub fn InputsForm(
    /// The fields to render.
    form: InputForm,
    /// The values being edited.
    values: RwSignal<Values>,
    /// Validation messages, shown next to their fields.
    #[prop(into)]
    messages: Signal<FieldMessages>,
    /// Prefix of the controls' ids (`spec` → `spec-<input>`).
    #[prop(into)]
    id_prefix: String,
) -> impl IntoView {
    if form.fields.is_empty() {
        return view! { <p class="muted">"This template takes no inputs."</p> }.into_any();
    }
    view! {
        <div class="inputs" data-type=form.type_name.clone()>
            {form.description.clone().map(|d| view! { <p class="muted">{d}</p> })}
            {form
                .fields
                .into_iter()
                .map(|f| field_view(&f, values, messages, &id_prefix))
                .collect_view()}
        </div>
    }
    .into_any()
}

fn field_view(
    f: &Field,
    values: RwSignal<Values>,
    messages: Signal<FieldMessages>,
    id_prefix: &str,
) -> impl IntoView + use<> {
    let id = format!("{id_prefix}-{}", f.name);
    let name = f.name.clone();
    let get = {
        let name = name.clone();
        move || values.with(|v| v.get(&name).cloned().unwrap_or_default())
    };
    let set = {
        let name = name.clone();
        move |v: String| {
            values.update(|vals| {
                vals.insert(name.clone(), v);
            });
        }
    };
    let placeholder = f
        .default
        .clone()
        .map(|d| format!("default: {d}"))
        .unwrap_or_default();
    let control = match &f.kind {
        FieldKind::Text => view! {
            <input id=id.clone() name=name.clone() type="text" placeholder=placeholder prop:value=get on:input=move |ev| set(event_target_value(&ev)) />
        }
        .into_any(),
        FieldKind::Number { integer } => view! {
            <input id=id.clone() name=name.clone() type="text" inputmode="decimal" step=if *integer { "1" } else { "any" } placeholder=placeholder prop:value=get on:input=move |ev| set(event_target_value(&ev)) />
        }
        .into_any(),
        FieldKind::Boolean => view! {
            <input id=id.clone() name=name.clone() type="checkbox" prop:checked=move || get() == "true" on:change=move |ev| set(if event_target_checked(&ev) { "true".into() } else { "false".into() }) />
        }
        .into_any(),
        FieldKind::Choice(choices) => {
            let none_label = match &f.default {
                Some(d) => format!("(default: {d})"),
                None => "— choose —".to_owned(),
            };
            let options = choices
                .iter()
                .map(|c| {
                    let lit = c.literal.clone();
                    let selected = {
                        let get = get.clone();
                        move || get() == lit
                    };
                    view! { <option value=c.literal.clone() selected=selected>{c.label.clone()}</option> }
                })
                .collect_view();
            view! {
                <select id=id.clone() name=name.clone() on:change=move |ev| set(event_target_value(&ev))>
                    <option value="">{none_label}</option>
                    {options}
                </select>
            }
            .into_any()
        }
        FieldKind::Yaml => view! {
            <textarea id=id.clone() name=name.clone() rows="3" placeholder=if placeholder.is_empty() { "YAML, e.g. [a, b] or {key: value}".to_owned() } else { placeholder } prop:value=get on:input=move |ev| set(event_target_value(&ev)) />
        }
        .into_any(),
    };
    let msg_name = name.clone();
    let errors = move || {
        messages.with(|m| {
            m.of(&msg_name)
                .iter()
                .map(|t| view! { <div class="field-error">{t.clone()}</div> })
                .collect_view()
        })
    };
    let kind = match &f.kind {
        FieldKind::Text => "string",
        FieldKind::Number { integer: true } => "integer",
        FieldKind::Number { integer: false } => "number",
        FieldKind::Boolean => "boolean",
        FieldKind::Choice(_) => "enum",
        FieldKind::Yaml => "yaml",
    };
    view! {
        <div class="field" data-field=name.clone()>
            <label for=id>
                {f.label.clone()}
                {f.required.then(|| view! { <span class="required" title="required">" *"</span> })}
                " "
                <span class="muted type">{kind}</span>
            </label>
            {control}
            {f.description.clone().map(|d| view! { <div class="hint">{d}</div> })}
            {(!f.hint.is_empty()).then(|| view! { <div class="hint constraints">{f.hint.clone()}</div> })}
            {errors}
        </div>
    }
}
