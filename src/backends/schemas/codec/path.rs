//! Paths into a value for error messages (`lines[1].quantity`), built only when something failed:
//! the codecs add a segment while an error travels out of each field, so the happy path pays nothing.

/// One step into a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Field(String),
    Index(usize),
    Key(String),
}

/// Segments collected innermost first, as an error unwinds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Unwound(Vec<Segment>);

impl Unwound {
    pub fn push(&mut self, segment: Segment) {
        self.0.push(segment);
    }

    /// The path in reading order: fields joined by dots, indexes in brackets, map keys as fields
    /// when they look like names and as `["key"]` otherwise.
    pub fn render(&self) -> String {
        render(self.0.iter().rev())
    }
}

pub fn render<'a>(segments: impl Iterator<Item = &'a Segment>) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
            Segment::Field(name) | Segment::Key(name) if is_plain(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Segment::Field(name) | Segment::Key(name) => {
                out.push('[');
                out.push_str(&serde_json::Value::String(name.clone()).to_string());
                out.push(']');
            }
        }
    }
    out
}

fn is_plain(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_fields_indexes_and_odd_keys() {
        let mut unwound = Unwound::default();
        unwound.push(Segment::Field("quantity".into()));
        unwound.push(Segment::Index(1));
        unwound.push(Segment::Field("lines".into()));
        assert_eq!(unwound.render(), "lines[1].quantity");

        let mut odd = Unwound::default();
        odd.push(Segment::Key("a b".into()));
        odd.push(Segment::Field("tags".into()));
        assert_eq!(odd.render(), r#"tags["a b"]"#);
        assert_eq!(Unwound::default().render(), "");
    }
}
