//! Resource quantities printed in canonical form, as upstream's `resource.Quantity.String()`
//! does: `1024Mi` → `1Gi`, `0.5` → `500m`, `2000` → `2k`, `1.5Gi` → `1536Mi`.

use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    DecimalSi,
    BinarySi,
    DecimalExponent,
}

/// An exact quantity: ±mantissa × 10^scale.
#[derive(Debug)]
struct Quantity {
    negative: bool,
    mantissa: u128,
    scale: i32,
    format: Format,
}

/// The canonical form of a quantity string; unparsable input is returned unchanged.
pub(super) fn canonical(raw: &str) -> String {
    match Quantity::parse(raw.trim()) {
        Some(q) => q.render(),
        None => raw.to_owned(),
    }
}

/// A quantity held by value (`resource.Quantity`): absent prints as the zero quantity, `0`.
pub(super) fn of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => canonical(s),
        Some(Value::Number(n)) => canonical(&n.to_string()),
        _ => "0".to_owned(),
    }
}

/// A quantity held by pointer (`*resource.Quantity`): absent prints as `<nil>`.
pub(super) fn of_ptr(v: Option<&Value>) -> String {
    match v {
        None => "<nil>".to_owned(),
        some => of(some),
    }
}

/// Suffix → (format, power of two, power of ten).
fn interpret_suffix(suffix: &str) -> Option<(Format, u32, i32)> {
    let dec = |e| Some((Format::DecimalSi, 0, e));
    let bin = |e| Some((Format::BinarySi, e, 0));
    match suffix {
        "" => dec(0),
        "n" => dec(-9),
        "u" => dec(-6),
        "m" => dec(-3),
        "k" => dec(3),
        "M" => dec(6),
        "G" => dec(9),
        "T" => dec(12),
        "P" => dec(15),
        "E" => dec(18),
        "Ki" => bin(10),
        "Mi" => bin(20),
        "Gi" => bin(30),
        "Ti" => bin(40),
        "Pi" => bin(50),
        "Ei" => bin(60),
        _ => {
            let rest = suffix.strip_prefix(['e', 'E'])?;
            let digits = rest.strip_prefix(['+', '-']).unwrap_or(rest);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some((Format::DecimalExponent, 0, rest.parse().ok()?))
        }
    }
}

/// Strips factors of `base` (while the value is at least `base`), like upstream's
/// `removeInt64Factors`.
fn remove_factors(mut value: u128, base: u128) -> (u128, i32) {
    let mut times = 0;
    while value >= base && value.is_multiple_of(base) {
        value /= base;
        times += 1;
    }
    (value, times)
}

impl Quantity {
    fn parse(s: &str) -> Option<Quantity> {
        if s.is_empty() {
            return None;
        }
        let b = s.as_bytes();
        let mut pos = 0;
        let mut negative = false;
        match b.first() {
            Some(b'-') => {
                negative = true;
                pos = 1;
            }
            Some(b'+') => pos = 1,
            _ => {}
        }
        let num_start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
        let num = &s[num_start..pos];
        let mut denom = "";
        if pos < b.len() && b[pos] == b'.' {
            pos += 1;
            let denom_start = pos;
            while pos < b.len() && b[pos].is_ascii_digit() {
                pos += 1;
            }
            denom = &s[denom_start..pos];
        }
        let (format, pow2, pow10) = interpret_suffix(&s[pos..])?;
        let digits = format!("{num}{denom}");
        let mut mantissa: u128 = if digits.is_empty() {
            0
        } else {
            digits.parse().ok()?
        };
        mantissa = mantissa.checked_mul(1u128.checked_shl(pow2)?)?;
        let mut scale = pow10.checked_sub(i32::try_from(denom.len()).ok()?)?;
        // Upstream keeps at most nanosecond-ish precision, rounding away from zero.
        if mantissa != 0 && scale < -9 {
            let divisor = 10u128.checked_pow(u32::try_from(-9 - scale).ok()?)?;
            mantissa = mantissa.div_ceil(divisor);
            scale = -9;
        }
        Some(Quantity {
            negative,
            mantissa,
            scale,
            format,
        })
    }

    /// The value as a whole number, if it is one.
    fn integral(&self) -> Option<u128> {
        if self.scale >= 0 {
            self.mantissa
                .checked_mul(10u128.checked_pow(u32::try_from(self.scale).ok()?)?)
        } else {
            let div = 10u128.checked_pow(u32::try_from(-self.scale).ok()?)?;
            self.mantissa
                .is_multiple_of(div)
                .then(|| self.mantissa / div)
        }
    }

    fn render(&self) -> String {
        if self.mantissa == 0 {
            return "0".to_owned();
        }
        let sign = if self.negative { "-" } else { "" };
        // Small or fractional binary quantities print as decimal SI.
        if self.format == Format::BinarySi
            && let Some(v) = self.integral().filter(|&v| v >= 1024)
        {
            let (amount, times) = remove_factors(v, 1024);
            let suffix = match times {
                0 => "",
                1 => "Ki",
                2 => "Mi",
                3 => "Gi",
                4 => "Ti",
                5 => "Pi",
                _ => "Ei",
            };
            let amount = if times > 6 {
                amount << (10 * (times - 6))
            } else {
                amount
            };
            return format!("{sign}{amount}{suffix}");
        }
        let (mut amount, times) = remove_factors(self.mantissa, 10);
        let mut exponent = self.scale + times;
        match exponent.rem_euclid(3) {
            1 => {
                amount *= 10;
                exponent -= 1;
            }
            2 => {
                amount *= 100;
                exponent -= 2;
            }
            _ => {}
        }
        let suffix = match self.format {
            Format::DecimalExponent if exponent == 0 => String::new(),
            Format::DecimalExponent => format!("e{exponent}"),
            _ => match exponent {
                -9 => "n".to_owned(),
                -6 => "u".to_owned(),
                -3 => "m".to_owned(),
                0 => String::new(),
                3 => "k".to_owned(),
                6 => "M".to_owned(),
                9 => "G".to_owned(),
                12 => "T".to_owned(),
                15 => "P".to_owned(),
                18 => "E".to_owned(),
                e => format!("e{e}"),
            },
        };
        format!("{sign}{amount}{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_forms() {
        let cases = [
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("1000Mi", "1000Mi"),
            ("1.5Gi", "1536Mi"),
            ("0.5Ki", "512"),
            ("1536", "1536"),
            ("1024", "1024"),
            ("100m", "100m"),
            ("1000m", "1"),
            ("0.5", "500m"),
            ("1.5", "1500m"),
            ("2000", "2k"),
            ("10G", "10G"),
            ("1e3", "1e3"),
            ("1.5e3", "1500"),
            ("1E6", "1e6"),
            ("0", "0"),
            ("0Gi", "0"),
            ("-100m", "-100m"),
            ("-2Gi", "-2Gi"),
            ("0.0000000001", "1n"),
            ("12345", "12345"),
            ("20Mi", "20Mi"),
            ("100k", "100k"),
            ("1500k", "1500k"),
            ("+3", "3"),
            (" 2Gi ", "2Gi"),
        ];
        for (input, want) in cases {
            assert_eq!(canonical(input), want, "{input}");
        }
        // Not a quantity: printed as given.
        assert_eq!(canonical("lots"), "lots");
        assert_eq!(canonical("1Kb"), "1Kb");
    }

    #[test]
    fn values_and_pointers() {
        assert_eq!(of(None), "0");
        assert_eq!(of(Some(&json!("2048Ki"))), "2Mi");
        assert_eq!(of(Some(&json!(3))), "3");
        assert_eq!(of_ptr(None), "<nil>");
        assert_eq!(of_ptr(Some(&json!("250m"))), "250m");
    }
}
