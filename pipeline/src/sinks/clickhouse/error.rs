//! What went wrong talking to ClickHouse, sorted into what the writer does
//! about it: wait and retry (ClickHouse down, starting or overloaded), find
//! the rows it refuses (their values do not fit), or stop with one line
//! that names the setting to fix (TLS, credentials, a bad CA file).

/// Errors talking to ClickHouse, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum ClickHouseError {
    /// ClickHouse could not be reached, or the connection broke.
    #[error("ClickHouse at {url} is unreachable while {action}: {detail}; is it running (make up) and is clickhouse.url right?")]
    Unreachable {
        url: String,
        action: String,
        detail: String,
    },
    /// ClickHouse answered with an error.
    #[error("ClickHouse refused {action}: {message}")]
    Refused { action: String, message: String },
    /// The TLS handshake failed: the certificate is not trusted, not valid
    /// for the host, or the port does not speak TLS.
    #[error("clickhouse.url {url}: {detail}")]
    Tls { url: String, detail: String },
    /// ClickHouse does not know the user or refused the password.
    #[error("clickhouse.password: authentication failed for user '{user}' at {url} ({message}); check clickhouse.user and clickhouse.password (MLOBS_CLICKHOUSE_PASSWORD)")]
    Authentication {
        user: String,
        url: String,
        message: String,
    },
    /// A setting cannot be used (a CA file that is missing or holds no
    /// certificate).
    #[error("{key} {value}: {detail}")]
    Setting {
        key: &'static str,
        value: String,
        detail: String,
    },
}

/// ClickHouse error codes that mean "the values in the rows do not fit":
/// CANNOT_PARSE_TEXT, CANNOT_PARSE_QUOTED_STRING, CANNOT_PARSE_INPUT_
/// ASSERTION_FAILED, ATTEMPT_TO_READ_AFTER_EOF, CANNOT_PARSE_DATE,
/// CANNOT_PARSE_DATETIME, TYPE_MISMATCH, ARGUMENT_OUT_OF_BOUND,
/// CANNOT_CONVERT_TYPE, CANNOT_PARSE_NUMBER, INCORRECT_DATA,
/// TOO_LARGE_STRING_SIZE, VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE,
/// CANNOT_PARSE_BOOL, DECIMAL_OVERFLOW.
const DATA: [u32; 15] = [
    6, 26, 27, 32, 38, 41, 53, 69, 70, 72, 117, 131, 321, 467, 407,
];

/// UNKNOWN_USER, WRONG_PASSWORD, REQUIRED_PASSWORD, AUTHENTICATION_FAILED.
const AUTHENTICATION: [u32; 4] = [192, 193, 194, 516];

/// Messages of an overloaded or restarting server worth waiting for.
const OVERLOAD: [&str; 4] = ["Too many parts", "Memory limit", "Timeout", "TIMEOUT"];

/// What a proxy in front of ClickHouse says while ClickHouse is away
/// (the crate gives the status line when the body is empty).
const GATEWAY: [&str; 6] = [
    "502 ",
    "503 ",
    "504 ",
    "Bad Gateway",
    "Service Unavailable",
    "Gateway Timeout",
];

impl ClickHouseError {
    /// True when trying again later may succeed (ClickHouse down, starting,
    /// or overloaded); false for what it will always refuse, which is a bug,
    /// a changed schema or a wrong setting, and stops the pipeline with
    /// this error.
    pub fn is_transient(&self) -> bool {
        match self {
            ClickHouseError::Unreachable { .. } => true,
            ClickHouseError::Refused { message, .. } => {
                OVERLOAD.iter().any(|m| message.contains(m))
                    || (self.code().is_none() && GATEWAY.iter().any(|m| message.contains(m)))
            }
            ClickHouseError::Tls { .. }
            | ClickHouseError::Authentication { .. }
            | ClickHouseError::Setting { .. } => false,
        }
    }

    /// ClickHouse's error code (`Code: 27` in its messages), if it gave one.
    pub fn code(&self) -> Option<u32> {
        let ClickHouseError::Refused { message, .. } = self else {
            return None;
        };
        code_of(message)
    }

    /// True when ClickHouse refused because of values in the rows (they
    /// cannot be parsed, or a column cannot hold them): other rows of the
    /// same batch would be taken.
    pub fn is_about_the_data(&self) -> bool {
        self.code().is_some_and(|code| DATA.contains(&code))
    }
}

/// The `Code: N` of a ClickHouse error message.
pub(super) fn code_of(message: &str) -> Option<u32> {
    let digits = message.split("Code: ").nth(1)?;
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok()
}

/// True when a refusal with `message` is about the user or password.
pub(super) fn is_authentication(message: &str) -> bool {
    code_of(message).is_some_and(|code| AUTHENTICATION.contains(&code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(message: &str) -> ClickHouseError {
        ClickHouseError::Refused {
            action: "inserting".into(),
            message: message.into(),
        }
    }

    #[test]
    fn codes_sort_refusals_into_data_retry_and_stop() {
        let null =
            refused("Code: 53, e.displayText() = DB::Exception: Type mismatch in request_id");
        assert_eq!(null.code(), Some(53));
        assert!(null.is_about_the_data() && !null.is_transient());
        let parts = refused("Code: 252, e.displayText() = DB::Exception: Too many parts (300)");
        assert!(parts.is_transient() && !parts.is_about_the_data());
        let missing = refused("Code: 60, e.displayText() = DB::Exception: Table x doesn't exist");
        assert!(!missing.is_transient() && !missing.is_about_the_data());
        assert!(refused("503 Service Unavailable").is_transient());
        assert!(!refused("404 Not Found").is_transient());
        assert_eq!(refused("Code: 27").code(), Some(27));
        assert!(is_authentication(
            "Code: 193, e.displayText() = DB::Exception: Wrong password for user default"
        ));
        assert!(!is_authentication("Code: 60"));
    }

    #[test]
    fn setting_errors_name_the_setting_first() {
        let tls = ClickHouseError::Tls {
            url: "https://127.0.0.1:8443".into(),
            detail: "certificate verify failed".into(),
        };
        assert!(tls
            .to_string()
            .starts_with("clickhouse.url https://127.0.0.1:8443: "));
        assert!(!tls.is_transient());
        let auth = ClickHouseError::Authentication {
            user: "x".into(),
            url: "http://127.0.0.1:8123".into(),
            message: "Code: 193".into(),
        };
        assert!(auth
            .to_string()
            .starts_with("clickhouse.password: authentication failed for user 'x'"));
    }
}
