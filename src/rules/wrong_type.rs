//! S003: a value of the wrong type.

declare_rule! {
    /// ### What it does
    /// Reports a value of the wrong type: a list where a mapping belongs, a number
    /// where a string belongs. The field then takes its default, as if absent.
    /// (Booleans spelt `on`/`yes` are Y004 and numeric versions Y005 instead.)
    ///
    /// ### Why is this bad
    /// HQ and the JSON Schemas reject it, and each tool coerces it differently.
    ///
    /// ### Example
    /// ```yaml
    /// format_version: 2
    /// groups:
    ///   - name: Village A
    ///     members: david
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// groups:
    ///   - name: Village A
    ///     members: [david]
    /// ```
    pub static RULE = "S003", "wrong-type", Error, summary = "a value of the wrong type";
}
