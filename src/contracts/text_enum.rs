//! Enums written as text — in documents, in the database and in the API — declared once with
//! their text: `text_enum!` gives each `ALL`, `as_str`, `parse` and `Display`, so the text of a
//! value is written in one place only.

/// Declares an enum whose values are written as the given text, e.g.
/// `text_enum! { #[derive(Debug, Clone, Copy, PartialEq, Eq)] pub enum Colour { Red = "red",
/// DeepBlue = "deep_blue" } }` gives `Colour::parse("deep_blue") == Some(Colour::DeepBlue)`,
/// `Colour::Red.as_str() == "red"` and `Colour::ALL`.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$variant_meta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The value's text.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text ),+
                }
            }

            /// The value written as `text`, if any.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $( $text => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// As the database gives it back (`#[diesel(deserialize_as = String)]`): a text that
        /// is not one of the values is an error, never a guess.
        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(text: String) -> Result<$name, String> {
                $name::parse(&text).ok_or_else(|| {
                    format!("{text:?} is not a value of {}", stringify!($name))
                })
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.as_str().to_owned()
            }
        }
    };
}

pub(crate) use text_enum;

#[cfg(test)]
mod tests {
    text_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Sample {
            /// A documented value.
            One = "one",
            TwoWords = "two_words",
        }
    }

    #[test]
    fn every_value_reads_back_from_its_text_and_nothing_else_does() {
        for value in Sample::ALL {
            assert_eq!(Sample::parse(value.as_str()), Some(value));
            assert_eq!(value.to_string(), value.as_str());
        }
        assert_eq!(Sample::TwoWords.as_str(), "two_words");
        assert_eq!(Sample::parse("Two_Words"), None);
        assert_eq!(Sample::parse(""), None);
    }
}
