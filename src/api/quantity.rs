//! Kubernetes resource quantities (`100m`, `1Gi`, `1e3`), parsed and printed as upstream's
//! `resource.Quantity` does.
//!
//! A quantity is held as a signed count of nano-units (10⁻⁹) in an `i128`, which covers every value
//! upstream can hold without its arbitrary-precision fallback (up to ~1.7·10²⁹). Parsing rounds
//! anything finer than a nano-unit up (away from zero), as upstream does, and remembers the format
//! the suffix implied so that [`Quantity`]'s `Display` gives upstream's canonical form
//! (`1.5Gi` → `1536Mi`, `0.5` → `500m`, `1000m` → `1`, `1e3` → `1e3`).

use std::cmp::Ordering;
use std::fmt;

/// How a quantity prints: SI decimal suffixes, binary suffixes, or a decimal exponent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `m`, `k`, `M`, … (and no suffix).
    DecimalSI,
    /// `Ki`, `Mi`, `Gi`, …
    BinarySI,
    /// `e3`, `E-6`, …
    DecimalExponent,
}

impl Format {
    /// Upstream's name of the format (`resource.Format`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::DecimalSI => "DecimalSI",
            Format::BinarySI => "BinarySI",
            Format::DecimalExponent => "DecimalExponent",
        }
    }
}

/// A parsed quantity.
#[derive(Clone, Copy, Debug)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

/// Why a string is not a quantity; the messages are upstream's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error(
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )]
    Format,
    #[error("unable to parse quantity's suffix")]
    Suffix,
    #[error("unable to parse numeric part of quantity")]
    Numeric,
}

const NANO: i128 = 1_000_000_000;

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

impl Quantity {
    /// The zero quantity (`0`, DecimalSI).
    pub const ZERO: Quantity = Quantity {
        nanos: 0,
        format: Format::DecimalSI,
    };

    /// A whole number of units in the given format: `from_units(2, DecimalSI)` is `2`.
    pub fn from_units(units: i64, format: Format) -> Quantity {
        Quantity {
            nanos: i128::from(units) * NANO,
            format,
        }
    }

    /// A number of milli-units (DecimalSI): `from_milli(1500)` is `1500m`.
    pub fn from_milli(milli: i64) -> Quantity {
        Quantity {
            nanos: i128::from(milli) * 1_000_000,
            format: Format::DecimalSI,
        }
    }

    /// Parse a quantity as upstream's `resource.ParseQuantity` does.
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        if s.is_empty() {
            return Err(QuantityError::Format);
        }
        let parts = split(s)?;
        let (base, exponent, mut format) = interpret_suffix(parts.suffix)?;
        let digits = format!("{}{}", parts.num, parts.denom);
        let digits: u128 = digits.parse().map_err(|_| QuantityError::Numeric)?;
        let denom_len = i32::try_from(parts.denom.len()).map_err(|_| QuantityError::Numeric)?;
        let magnitude = match base {
            10 => scale_pow10(digits, exponent - denom_len + 9)?,
            _ => {
                let shift = u32::try_from(exponent).map_err(|_| QuantityError::Numeric)?;
                let shifted = digits
                    .checked_mul(2u128.checked_pow(shift).ok_or(QuantityError::Numeric)?)
                    .ok_or(QuantityError::Numeric)?;
                scale_pow10(shifted, 9 - denom_len)?
            }
        };
        let magnitude = i128::try_from(magnitude).map_err(|_| QuantityError::Numeric)?;
        if format == Format::BinarySI && magnitude > 0 && magnitude < NANO {
            format = Format::DecimalSI;
        }
        let nanos = if parts.positive {
            magnitude
        } else {
            -magnitude
        };
        Ok(Quantity { nanos, format })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// -1, 0 or 1.
    pub fn signum(&self) -> i32 {
        match self.nanos.cmp(&0) {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        }
    }

    /// The value in nano-units.
    pub fn as_nanos(&self) -> i128 {
        self.nanos
    }

    /// The value in units, rounded away from zero (upstream's `Value()`), saturating at the `i64`
    /// bounds.
    pub fn value(&self) -> i64 {
        saturate(div_away_from_zero(self.nanos, NANO))
    }

    /// The value in milli-units, rounded away from zero (upstream's `MilliValue()`).
    pub fn milli_value(&self) -> i64 {
        saturate(div_away_from_zero(self.nanos, 1_000_000))
    }

    /// Sum of two quantities, keeping the format of `self`.
    pub fn add(&self, other: &Quantity) -> Quantity {
        Quantity {
            nanos: self.nanos.saturating_add(other.nanos),
            format: self.format,
        }
    }

    /// Difference of two quantities, keeping the format of `self`.
    pub fn sub(&self, other: &Quantity) -> Quantity {
        Quantity {
            nanos: self.nanos.saturating_sub(other.nanos),
            format: self.format,
        }
    }

    /// The canonical string, as upstream's `Quantity.String()`.
    pub fn canonical(&self) -> String {
        if self.nanos == 0 {
            return "0".to_owned();
        }
        if self.format == Format::BinarySI
            && self.nanos.abs() >= 1024 * NANO
            && self.nanos % NANO == 0
        {
            return binary_canonical(self.nanos / NANO);
        }
        let format = match self.format {
            Format::BinarySI => Format::DecimalSI,
            other => other,
        };
        decimal_canonical(self.nanos, format)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

fn saturate(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

fn div_away_from_zero(v: i128, d: i128) -> i128 {
    let q = v / d;
    if v % d == 0 {
        q
    } else if v > 0 {
        q + 1
    } else {
        q - 1
    }
}

/// `digits · 10^power`, rounding a fractional result up (the magnitude never shrinks to zero).
fn scale_pow10(digits: u128, power: i32) -> Result<u128, QuantityError> {
    if power >= 0 {
        let factor = 10u128
            .checked_pow(power.unsigned_abs())
            .ok_or(QuantityError::Numeric)?;
        digits.checked_mul(factor).ok_or(QuantityError::Numeric)
    } else {
        let Some(factor) = 10u128.checked_pow(power.unsigned_abs()) else {
            return Ok(u128::from(digits != 0));
        };
        let q = digits / factor;
        Ok(if digits.is_multiple_of(factor) {
            q
        } else {
            q + 1
        })
    }
}

struct Parts<'a> {
    positive: bool,
    num: &'a str,
    denom: &'a str,
    suffix: &'a str,
}

/// Upstream's `parseQuantityString`: sign, numerator, optional fraction, suffix.
fn split(s: &str) -> Result<Parts<'_>, QuantityError> {
    let bytes = s.as_bytes();
    let end = bytes.len();
    let mut pos = 0;
    let mut positive = true;
    match bytes.first() {
        Some(b'-') => {
            positive = false;
            pos += 1;
        }
        Some(b'+') => pos += 1,
        _ => {}
    }
    while pos < end && bytes[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        return Ok(Parts {
            positive,
            num: "0",
            denom: "",
            suffix: "",
        });
    }
    let num_start = pos;
    while pos < end && bytes[pos].is_ascii_digit() {
        pos += 1;
    }
    let num = if pos == num_start {
        "0"
    } else {
        &s[num_start..pos]
    };
    let mut denom = "";
    if pos < end && bytes[pos] == b'.' {
        pos += 1;
        let denom_start = pos;
        while pos < end && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        denom = &s[denom_start..pos];
    }
    let suffix_start = pos;
    while pos < end && b"eEinumkKMGTP".contains(&bytes[pos]) {
        pos += 1;
    }
    if pos < end && (bytes[pos] == b'-' || bytes[pos] == b'+') {
        pos += 1;
    }
    while pos < end && bytes[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos < end {
        return Err(QuantityError::Format);
    }
    Ok(Parts {
        positive,
        num,
        denom,
        suffix: &s[suffix_start..],
    })
}

fn interpret_suffix(suffix: &str) -> Result<(u32, i32, Format), QuantityError> {
    let decimal = match suffix {
        "n" => Some(-9),
        "u" => Some(-6),
        "m" => Some(-3),
        "" => Some(0),
        "k" => Some(3),
        "M" => Some(6),
        "G" => Some(9),
        "T" => Some(12),
        "P" => Some(15),
        "E" => Some(18),
        _ => None,
    };
    if let Some(e) = decimal {
        return Ok((10, e, Format::DecimalSI));
    }
    let binary = match suffix {
        "Ki" => Some(10),
        "Mi" => Some(20),
        "Gi" => Some(30),
        "Ti" => Some(40),
        "Pi" => Some(50),
        "Ei" => Some(60),
        _ => None,
    };
    if let Some(e) = binary {
        return Ok((2, e, Format::BinarySI));
    }
    if suffix.len() > 1 && (suffix.starts_with('e') || suffix.starts_with('E')) {
        let e: i32 = suffix[1..].parse().map_err(|_| QuantityError::Suffix)?;
        return Ok((10, e, Format::DecimalExponent));
    }
    Err(QuantityError::Suffix)
}

fn decimal_canonical(nanos: i128, format: Format) -> String {
    let mut mantissa = nanos;
    let mut exponent: i32 = -9;
    while mantissa % 10 == 0 {
        mantissa /= 10;
        exponent += 1;
    }
    match exponent % 3 {
        1 | -2 => {
            mantissa *= 10;
            exponent -= 1;
        }
        2 | -1 => {
            mantissa *= 100;
            exponent -= 2;
        }
        _ => {}
    }
    let suffix = match format {
        Format::DecimalExponent if exponent == 0 => String::new(),
        Format::DecimalExponent => format!("e{exponent}"),
        _ => match exponent {
            -9 => "n",
            -6 => "u",
            -3 => "m",
            3 => "k",
            6 => "M",
            9 => "G",
            12 => "T",
            15 => "P",
            18 => "E",
            _ => "",
        }
        .to_owned(),
    };
    format!("{mantissa}{suffix}")
}

fn binary_canonical(units: i128) -> String {
    let mut amount = units;
    let mut times = 0;
    while amount % 1024 == 0 && times < 6 {
        amount /= 1024;
        times += 1;
    }
    let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][times];
    format!("{amount}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        Quantity::parse(s).expect(s).to_string()
    }

    #[test]
    fn canonical_forms_match_upstream() {
        let cases = [
            ("0", "0"),
            ("-0", "0"),
            ("100m", "100m"),
            ("1000m", "1"),
            ("1500m", "1500m"),
            ("0.5", "500m"),
            ("1.5", "1500m"),
            ("1", "1"),
            ("1k", "1k"),
            ("1000", "1k"),
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("1.5Gi", "1536Mi"),
            ("0.5Gi", "512Mi"),
            ("1536", "1536"),
            ("1500Ki", "1500Ki"),
            ("1Ki", "1Ki"),
            ("512", "512"),
            ("1e3", "1e3"),
            ("1E3", "1e3"),
            ("1e-3", "1e-3"),
            ("12e2", "1200"),
            ("1.5m", "1500u"),
            ("0.1m", "100u"),
            ("1n", "1n"),
            ("0.1n", "1n"),
            ("-100m", "-100m"),
            ("+2", "2"),
            ("1M", "1M"),
            ("10G", "10G"),
            (".5", "500m"),
            ("5.", "5"),
            ("0.0000000001", "1n"),
        ];
        for (input, want) in cases {
            assert_eq!(canon(input), want, "input {input}");
        }
    }

    #[test]
    fn values_and_comparisons() {
        let q = |s: &str| Quantity::parse(s).expect(s);
        assert_eq!(q("1.5").milli_value(), 1500);
        assert_eq!(q("1.5").value(), 2);
        assert_eq!(q("100m").value(), 1);
        assert_eq!(q("1Gi").value(), 1 << 30);
        assert_eq!(q("1n").milli_value(), 1);
        assert_eq!(q("-1n").milli_value(), -1);
        assert!(q("1") > q("999m"));
        assert_eq!(q("1"), q("1000m"));
        assert_eq!(q("1Gi").format(), Format::BinarySI);
        assert_eq!(q("0.5Ki").format(), Format::BinarySI);
        assert_eq!(q("1e3").format(), Format::DecimalExponent);
        assert_eq!(q("2").add(&q("500m")).to_string(), "2500m");
        assert_eq!(q("2").sub(&q("3")).signum(), -1);
        assert_eq!(Quantity::from_milli(250).to_string(), "250m");
        assert_eq!(Quantity::from_units(3, Format::BinarySI).to_string(), "3");
        assert!(Quantity::ZERO.is_zero());
    }

    #[test]
    fn errors_match_upstream() {
        for bad in ["", "abc", "1.2.3", "1Zi", "1 Gi", "--1", "1e", "1i"] {
            assert!(Quantity::parse(bad).is_err(), "{bad:?} should not parse");
        }
        assert_eq!(
            Quantity::parse("abc").unwrap_err().to_string(),
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        );
        assert_eq!(
            Quantity::parse("1Zi").unwrap_err(),
            QuantityError::Format,
            "Z is not a suffix character"
        );
        assert_eq!(Quantity::parse("1Mb").unwrap_err(), QuantityError::Format);
        assert_eq!(Quantity::parse("1mi").unwrap_err(), QuantityError::Suffix);
    }
}
