//! Resource quantities as kube-apiserver re-encodes them (`k8s.io/apimachinery/pkg/api/resource`).
//!
//! Go decodes every quantity into a fixed-point value and encodes it back in canonical form
//! (`1.5` → `1500m`, `1024Mi` → `1Gi`, `1000m` → `1`), except that a string already in canonical
//! form is kept byte for byte (its parser caches it). `SetDefaults_ResourceList` also rounds every
//! value of a resource list up to a multiple of 1m (`0.1m` → `1m`). This module reproduces both;
//! it only does integer arithmetic.

/// The three suffix families a quantity remembers and is re-encoded with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// `e3`, `E-6`.
    DecimalExponent,
    /// `Ki`, `Mi`, … `Ei`.
    BinarySi,
    /// `n`, `u`, `m`, ``, `k`, `M`, … `E`.
    DecimalSi,
}

/// A parsed quantity: `(-1)^negative × mantissa × 10^scale`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Quantity {
    negative: bool,
    mantissa: u128,
    scale: i32,
    format: Format,
    /// The input, when Go's parser would keep it as the encoded form.
    cached: Option<String>,
}

/// 2^63 - 1, the largest magnitude a quantity keeps (larger ones are capped on the slow path).
const MAX: u128 = (1 << 63) - 1;
const NANO: i32 = -9;
const MILLI: i32 = -3;

/// The canonical form kube-apiserver would encode `s` as, or `None` if `s` is not a quantity
/// (or is one whose encoding we do not reproduce, such as a decimal-SI value beyond `E`).
pub fn canonical(s: &str) -> Option<String> {
    encode(&parse(s)?)
}

/// `SetDefaults_ResourceList` for one value: rounded up (away from zero) to a multiple of 1m,
/// then encoded canonically. `None` as for [`canonical`].
pub fn round_up_to_milli(s: &str) -> Option<String> {
    let mut q = parse(s)?;
    round_up(&mut q, MILLI);
    encode(&q)
}

fn pow10(n: u32) -> Option<u128> {
    10u128.checked_pow(n)
}

/// `Quantity.RoundUp(scale)`: nothing (and the cached form kept) when precise enough already.
fn round_up(q: &mut Quantity, scale: i32) {
    if q.scale >= scale {
        return;
    }
    q.cached = None;
    let shift = scale.abs_diff(q.scale);
    let Some(divisor) = pow10(shift) else {
        // More than 38 digits to drop: the value is below one unit of `scale`.
        q.mantissa = u128::from(q.mantissa != 0);
        q.scale = scale;
        return;
    };
    let rounded = q.mantissa / divisor + u128::from(!q.mantissa.is_multiple_of(divisor));
    q.mantissa = rounded;
    q.scale = scale;
}

/// `ParseQuantity` (after JSON's whitespace trim).
fn parse(s: &str) -> Option<Quantity> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s == "0" {
        return Some(Quantity {
            negative: false,
            mantissa: 0,
            scale: 0,
            format: Format::DecimalSi,
            cached: Some(s.to_owned()),
        });
    }
    let parts = scan(s)?;
    let (base, exponent, format) = interpret(parts.suffix)?;

    // The fast path: few enough digits to fit an int64 at a scale no finer than nano.
    let digits = parts.num.len() + parts.denom.len();
    let (mut scale, multiplier_shift, precision): (i32, u32, i64) = match format {
        Format::DecimalExponent | Format::DecimalSi => (exponent, 0, 18 - digits as i64),
        Format::BinarySi if parts.denom.is_empty() => {
            let exp = u32::try_from(exponent).ok()?;
            (
                0,
                exp,
                15 - parts.num.len() as i64 - (exponent * 3 / 10) as i64 - 1,
            )
        }
        Format::BinarySi => (0, 0, -1),
    };
    if precision >= 0 {
        scale -= parts.denom.len() as i32;
        if scale >= NANO {
            let shifted = format!("{}{}", parts.num, parts.denom);
            let value: i64 = shifted.parse().ok()?;
            if let Some(result) = value.checked_mul(1i64.checked_shl(multiplier_shift)?) {
                let canonical_input = match format {
                    Format::BinarySi => exponent % 10 == 0 && value & 0x07 != 0,
                    _ => scale % 3 == 0 && !shifted.ends_with("000") && !shifted.starts_with('0'),
                };
                return Some(Quantity {
                    negative: !parts.positive && result != 0,
                    mantissa: u128::from(result.unsigned_abs()),
                    scale,
                    format,
                    cached: canonical_input.then(|| s.to_owned()),
                });
            }
        }
    }

    // The slow path: exact decimal, rounded up to nano, capped at 2^63-1.
    let digits = format!("{}{}", parts.num, parts.denom);
    let digits = digits.trim_start_matches('0');
    let mut exp10: i64 = -(parts.denom.len() as i64);
    let mut exp2: u32 = 0;
    if base == 10 {
        exp10 += i64::from(exponent);
    } else {
        exp2 = u32::try_from(exponent).ok()?;
    }
    // nanos = digits × 10^(exp10 + 9) × 2^exp2, rounded up.
    let nano_exp = exp10 + 9;
    let nanos = if digits.is_empty() {
        Some(0)
    } else if nano_exp < 0 {
        let drop = usize::try_from(-nano_exp).ok()?;
        let keep = digits.len().saturating_sub(drop);
        let (kept, dropped) = digits.split_at(keep);
        let kept: Option<u128> = if kept.is_empty() {
            Some(0)
        } else {
            kept.parse().ok()
        };
        let up = u128::from(dropped.bytes().any(|b| b != b'0'));
        kept.and_then(|k| k.checked_shl(exp2).filter(|v| v >> exp2 == k))
            .and_then(|v| v.checked_add(up))
    } else {
        let d: Option<u128> = digits.parse().ok();
        d.and_then(|d| d.checked_mul(pow10(u32::try_from(nano_exp).ok()?)?))
            .and_then(|v| v.checked_shl(exp2).filter(|w| w >> exp2 == v))
    };
    let max_nanos = MAX * 1_000_000_000;
    let nanos = match nanos {
        Some(n) if n <= max_nanos => n,
        // Overflowed u128 or above the cap.
        _ => max_nanos,
    };
    let mut format = format;
    if format == Format::BinarySi && nanos > 0 && nanos < 1_000_000_000 {
        format = Format::DecimalSi;
    }
    Some(Quantity {
        negative: !parts.positive && nanos != 0,
        mantissa: nanos,
        scale: NANO,
        format,
        cached: None,
    })
}

struct Parts<'a> {
    positive: bool,
    num: &'a str,
    denom: &'a str,
    suffix: &'a str,
}

/// `parseQuantityString`: sign, integer digits (leading zeros dropped, "0" if none), fraction
/// digits, suffix.
fn scan(s: &str) -> Option<Parts<'_>> {
    let b = s.as_bytes();
    let end = b.len();
    let mut pos = 0;
    let mut positive = true;
    match b.first() {
        Some(b'-') => {
            positive = false;
            pos += 1;
        }
        Some(b'+') => pos += 1,
        _ => {}
    }
    let mut parts = Parts {
        positive,
        num: "0",
        denom: "",
        suffix: "",
    };
    while pos < end && b[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        return Some(parts);
    }
    let start = pos;
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos > start {
        parts.num = &s[start..pos];
    }
    if pos >= end {
        return Some(parts);
    }
    if b[pos] == b'.' {
        pos += 1;
        let start = pos;
        while pos < end && b[pos].is_ascii_digit() {
            pos += 1;
        }
        parts.denom = &s[start..pos];
        if pos >= end {
            return Some(parts);
        }
    }
    let suffix_start = pos;
    while pos < end && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos < end && matches!(b[pos], b'-' | b'+') {
        pos += 1;
    }
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos < end {
        return None;
    }
    parts.suffix = &s[suffix_start..];
    Some(parts)
}

/// The suffix's base, exponent and format.
fn interpret(suffix: &str) -> Option<(u32, i32, Format)> {
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
        return Some((10, e, Format::DecimalSi));
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
        return Some((2, e, Format::BinarySi));
    }
    let rest = suffix
        .strip_prefix('e')
        .or_else(|| suffix.strip_prefix('E'))?;
    // Keep exponents sane; Go would wrap absurd ones around int32.
    let e: i32 = rest.parse().ok()?;
    (e.abs() <= 1000).then_some((10, e, Format::DecimalExponent))
}

/// `Quantity.MarshalJSON`: the cached input, or the canonical form.
fn encode(q: &Quantity) -> Option<String> {
    if let Some(c) = &q.cached {
        return Some(c.clone());
    }
    if q.mantissa == 0 {
        return Some("0".to_owned());
    }
    let sign = if q.negative { "-" } else { "" };
    let mut format = q.format;
    let mut integer = None;
    if format == Format::BinarySi {
        // Small or fractional binary values are shown in decimal, to avoid rounding.
        integer = integer_value(q).filter(|v| *v >= 1024);
        if integer.is_none() {
            format = Format::DecimalSi;
        }
    }
    if let Some(mut v) = integer {
        let mut e = 0;
        while v >= 1024 && v % 1024 == 0 {
            v /= 1024;
            e += 1;
        }
        let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"].get(e)?;
        return Some(format!("{sign}{v}{suffix}"));
    }
    let (mut m, mut e) = (q.mantissa, q.scale);
    while m >= 10 && m % 10 == 0 {
        m /= 10;
        e += 1;
    }
    match e.rem_euclid(3) {
        1 => {
            m = m.checked_mul(10)?;
            e -= 1;
        }
        2 => {
            m = m.checked_mul(100)?;
            e -= 2;
        }
        _ => {}
    }
    let suffix = match format {
        Format::DecimalExponent if e == 0 => String::new(),
        Format::DecimalExponent => format!("e{e}"),
        _ => match e {
            -9 => "n",
            -6 => "u",
            -3 => "m",
            0 => "",
            3 => "k",
            6 => "M",
            9 => "G",
            12 => "T",
            15 => "P",
            18 => "E",
            // Go would print the bare mantissa, changing the value; leave such input alone.
            _ => return None,
        }
        .to_owned(),
    };
    Some(format!("{sign}{m}{suffix}"))
}

/// The magnitude as an integer, if it is one.
fn integer_value(q: &Quantity) -> Option<u128> {
    if q.scale >= 0 {
        q.mantissa.checked_mul(pow10(q.scale.unsigned_abs())?)
    } else {
        let d = pow10(q.scale.unsigned_abs())?;
        q.mantissa.is_multiple_of(d).then(|| q.mantissa / d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        let cases: &[(&str, &str)] = &[
            // Already canonical: kept byte for byte.
            ("100m", "100m"),
            ("1", "1"),
            ("0", "0"),
            ("1Gi", "1Gi"),
            ("128Mi", "128Mi"),
            ("500Ki", "500Ki"),
            ("1200k", "1200k"),
            ("1e3", "1e3"),
            ("+1", "+1"),
            // Re-encoded.
            ("0.5", "500m"),
            ("1.5", "1500m"),
            ("1000m", "1"),
            ("1000", "1k"),
            ("2000000", "2M"),
            ("1024Mi", "1Gi"),
            ("2048Ki", "2Mi"),
            ("8Mi", "8Mi"),
            ("1.5Gi", "1536Mi"),
            ("0.5Gi", "512Mi"),
            ("0.5Ki", "512"),
            ("1Ki", "1Ki"),
            ("0.3Ki", "307200m"),
            ("-1.5", "-1500m"),
            ("-0", "0"),
            ("0.0", "0"),
            ("0Mi", "0"),
            ("1e-3", "1e-3"),
            ("10e2", "1e3"),
            ("1e100", "10e99"),
            ("1E", "1E"),
            ("12345678901234567890", "9223372036854775807"),
            ("8Ei", "9223372036854775807"),
            ("0.0000000001", "1n"),
            ("1.0000000001", "1000000001n"),
            (" 1.5 ", "1500m"),
        ];
        for (input, want) in cases {
            assert_eq!(canonical(input).as_deref(), Some(*want), "{input:?}");
        }
    }

    #[test]
    fn not_quantities() {
        for input in ["", "abc", "1.5.5", "1Q", "1m5", "1Kii", "--1", "1e"] {
            assert_eq!(canonical(input), None, "{input:?}");
        }
    }

    #[test]
    fn resource_lists_round_up_to_milli() {
        let cases: &[(&str, &str)] = &[
            ("0.0001", "1m"),
            ("100m", "100m"),
            ("1.0001", "1001m"),
            ("-0.0001", "-1m"),
            ("1n", "1m"),
            ("1500u", "2m"),
            ("250m", "250m"),
            ("64Mi", "64Mi"),
            ("0.5", "500m"),
        ];
        for (input, want) in cases {
            assert_eq!(
                round_up_to_milli(input).as_deref(),
                Some(*want),
                "{input:?}"
            );
        }
    }

    #[test]
    fn canonical_is_a_fixed_point() {
        for input in [
            "0.5",
            "1000m",
            "1.5Gi",
            "1e100",
            "12345678901234567890",
            "1.0000000001",
            "+1",
            "0.3Ki",
            "8Mi",
            "1024Mi",
            "-1.5",
        ] {
            let once = canonical(input).expect("parses");
            assert_eq!(
                canonical(&once).as_deref(),
                Some(once.as_str()),
                "{input:?}"
            );
            let rounded = round_up_to_milli(input).expect("parses");
            assert_eq!(
                round_up_to_milli(&rounded).as_deref(),
                Some(rounded.as_str())
            );
        }
    }
}
