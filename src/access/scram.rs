//! SCRAM-SHA-256 (RFC 5802 / RFC 7677) as PostgreSQL stores it: a user's password is
//! kept only as `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` — the same
//! text as `pg_authid.rolpassword` — from which a login can be checked but no login can be
//! made. Pure: the server side of one exchange, no I/O.

use std::fmt;
use std::num::NonZeroU32;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::{digest, hmac, pbkdf2};

/// PostgreSQL's default (`scram_iterations`).
pub const ITERATIONS: u32 = 4096;
const PREFIX: &str = "SCRAM-SHA-256$";

/// What is stored of a password.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub stored_key: Vec<u8>,
    pub server_key: Vec<u8>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Verifier(..)")
    }
}

impl Verifier {
    /// Hashes `password` with a fresh random salt.
    pub fn new(password: &str) -> Verifier {
        let salt: [u8; 16] = rand_bytes();
        Self::with_salt(password, &salt, ITERATIONS)
    }

    pub fn with_salt(password: &str, salt: &[u8], iterations: u32) -> Verifier {
        // SASLprep as PostgreSQL does: a password it cannot prepare is used as given.
        let prepared = stringprep::saslprep(password).unwrap_or(std::borrow::Cow::Borrowed(password));
        let mut salted = [0u8; 32];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            NonZeroU32::new(iterations.max(1)).expect("at least one iteration"),
            salt,
            prepared.as_bytes(),
            &mut salted,
        );
        let client_key = mac(&salted, b"Client Key");
        Verifier {
            iterations,
            salt: salt.to_vec(),
            stored_key: sha256(&client_key),
            server_key: mac(&salted, b"Server Key"),
        }
    }

    /// Reads the stored text; `None` when it is not a SCRAM-SHA-256 verifier.
    pub fn parse(text: &str) -> Option<Verifier> {
        let rest = text.strip_prefix(PREFIX)?;
        let (params, keys) = rest.split_once('$')?;
        let (iterations, salt) = params.split_once(':')?;
        let (stored, server) = keys.split_once(':')?;
        let v = Verifier {
            iterations: iterations.parse().ok().filter(|i| *i > 0)?,
            salt: STANDARD.decode(salt).ok()?,
            stored_key: STANDARD.decode(stored).ok()?,
            server_key: STANDARD.decode(server).ok()?,
        };
        (v.stored_key.len() == 32 && v.server_key.len() == 32 && !v.salt.is_empty()).then_some(v)
    }

    /// A stand-in for a user who does not exist: the exchange runs as for a real user and
    /// fails the same way, so a client cannot tell unknown names from wrong passwords.
    pub fn decoy(name: &str, server_secret: &[u8]) -> Verifier {
        let salt = mac(server_secret, name.as_bytes());
        Verifier {
            iterations: ITERATIONS,
            salt: salt[..16].to_vec(),
            stored_key: mac(server_secret, b"no such user: stored"),
            server_key: mac(server_secret, b"no such user: server"),
        }
    }

    /// A short fingerprint of the verifier (a session remembers which password it logged
    /// in with, so a changed password ends it).
    pub fn fingerprint(&self) -> String {
        STANDARD.encode(&sha256(&self.stored_key)[..9])
    }
}

impl fmt::Display for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}{}:{}${}:{}",
            self.iterations,
            STANDARD.encode(&self.salt),
            STANDARD.encode(&self.stored_key),
            STANDARD.encode(&self.server_key)
        )
    }
}

fn rand_bytes<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom;
    let mut out = [0u8; N];
    ring::rand::SystemRandom::new()
        .fill(&mut out)
        .expect("the operating system's random source");
    out
}

/// A random nonce for the server's part of an exchange.
pub fn nonce() -> String {
    STANDARD.encode(rand_bytes::<18>())
}

/// A random secret (the decoy's key, per server start).
pub fn secret() -> [u8; 32] {
    rand_bytes()
}

fn mac(key: &[u8], message: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), message)
        .as_ref()
        .to_vec()
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, bytes).as_ref().to_vec()
}

/// The server's side of one exchange, after the client's first message.
#[derive(Debug)]
pub struct Exchange {
    client_first_bare: String,
    server_first: String,
    gs2_header: String,
    nonce: String,
}

/// Why an exchange failed.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// The message does not follow SCRAM.
    Malformed(String),
    /// The proof does not match: a wrong password (or an unknown user).
    WrongPassword,
}

impl Exchange {
    /// Reads the client-first message (`n,,n=user,r=nonce`) and answers with the
    /// server-first message (`r=…,s=salt,i=iterations`). PostgreSQL's rule: the user name
    /// of the startup message counts, the one in the message is ignored. Channel binding
    /// is not offered, so `p=` is refused.
    pub fn start(client_first: &str, verifier: &Verifier, server_nonce: &str) -> Result<(Exchange, String), Failure> {
        let malformed = |what: &str| Failure::Malformed(format!("client-first message: {what}"));
        let (gs2, rest) = split_gs2(client_first).ok_or_else(|| malformed("no GS2 header"))?;
        if gs2.starts_with("p=") {
            return Err(malformed("channel binding was not offered"));
        }
        let bare = rest.to_string();
        let client_nonce = bare
            .split(',')
            .find_map(|a| a.strip_prefix("r="))
            .filter(|n| !n.is_empty() && n.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b','))
            .ok_or_else(|| malformed("no nonce"))?;
        let nonce = format!("{client_nonce}{server_nonce}");
        let server_first = format!(
            "r={nonce},s={},i={}",
            STANDARD.encode(&verifier.salt),
            verifier.iterations
        );
        Ok((
            Exchange {
                client_first_bare: bare,
                server_first: server_first.clone(),
                gs2_header: gs2.to_string(),
                nonce,
            },
            server_first,
        ))
    }

    /// Checks the client-final message (`c=…,r=…,p=proof`); the server-final message
    /// (`v=signature`) when the proof is right.
    pub fn finish(&self, client_final: &str, verifier: &Verifier) -> Result<String, Failure> {
        let malformed = |what: &str| Failure::Malformed(format!("client-final message: {what}"));
        let (without_proof, proof) = client_final.rsplit_once(",p=").ok_or_else(|| malformed("no proof"))?;
        let mut binding = None;
        let mut nonce = None;
        for attr in without_proof.split(',') {
            if let Some(v) = attr.strip_prefix("c=") {
                binding = Some(v);
            } else if let Some(v) = attr.strip_prefix("r=") {
                nonce = Some(v);
            }
        }
        if binding != Some(STANDARD.encode(&self.gs2_header).as_str()) {
            return Err(malformed("channel binding differs from the first message"));
        }
        if nonce != Some(self.nonce.as_str()) {
            return Err(malformed("the nonce differs"));
        }
        let proof = STANDARD
            .decode(proof)
            .map_err(|_| malformed("the proof is not base64"))?;
        let auth_message = format!("{},{},{}", self.client_first_bare, self.server_first, without_proof);
        let client_signature = mac(&verifier.stored_key, auth_message.as_bytes());
        if proof.len() != client_signature.len() {
            return Err(Failure::WrongPassword);
        }
        let client_key: Vec<u8> = proof.iter().zip(&client_signature).map(|(a, b)| a ^ b).collect();
        if !same_bytes(&sha256(&client_key), &verifier.stored_key) {
            return Err(Failure::WrongPassword);
        }
        let server_signature = mac(&verifier.server_key, auth_message.as_bytes());
        Ok(format!("v={}", STANDARD.encode(server_signature)))
    }
}

/// Equal bytes, compared in time that does not depend on where they differ.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `n,,rest` / `y,,rest` / `p=…,,rest` (an authzid between the commas is allowed).
fn split_gs2(message: &str) -> Option<(&str, &str)> {
    let first = message.find(',')?;
    let second = first + 1 + message[first + 1..].find(',')?;
    let flag = &message[..first];
    if !(flag == "n" || flag == "y" || flag.starts_with("p=")) {
        return None;
    }
    Some((&message[..=second], &message[second + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677's example exchange, section 3.
    #[test]
    fn rfc_7677_example() {
        let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let v = Verifier::with_salt("pencil", &salt, 4096);
        let (exchange, server_first) =
            Exchange::start("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", &v, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0").unwrap();
        assert_eq!(
            server_first,
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        );
        let client_final = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
        assert_eq!(
            exchange.finish(client_final, &v).unwrap(),
            "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
        // one bit of the proof changed
        let wrong = client_final.replace("p=dHzb", "p=dHzc");
        assert_eq!(exchange.finish(&wrong, &v), Err(Failure::WrongPassword));
        // a verifier of another password
        let other = Verifier::with_salt("pencil2", &salt, 4096);
        assert_eq!(exchange.finish(client_final, &other), Err(Failure::WrongPassword));
    }

    #[test]
    fn stored_text_round_trips_and_holds_no_password() {
        let v = Verifier::new("秘密 secret");
        let text = v.to_string();
        assert!(text.starts_with("SCRAM-SHA-256$4096:"), "{text}");
        assert!(!text.contains("secret"));
        assert_eq!(Verifier::parse(&text), Some(v.clone()));
        assert_ne!(Verifier::new("秘密 secret"), v, "a fresh salt each time");
        for bad in [
            "",
            "md5abc",
            "SCRAM-SHA-256$x:AA==$AA==:AA==",
            "SCRAM-SHA-256$4096:AA==$AA==:AA==",
        ] {
            assert_eq!(Verifier::parse(bad), None, "{bad}");
        }
        assert_eq!(format!("{v:?}"), "Verifier(..)");
    }

    #[test]
    fn malformed_messages_are_refused() {
        let v = Verifier::new("x");
        assert!(matches!(
            Exchange::start("n=user,r=abc", &v, "s"),
            Err(Failure::Malformed(_))
        ));
        assert!(matches!(
            Exchange::start("p=tls-server-end-point,,n=,r=abc", &v, "s"),
            Err(Failure::Malformed(_))
        ));
        assert!(matches!(
            Exchange::start("n,,n=,r=", &v, "s"),
            Err(Failure::Malformed(_))
        ));
        let (e, _) = Exchange::start("n,,n=,r=abc", &v, "def").unwrap();
        assert!(matches!(
            e.finish("c=biws,r=abcXXX,p=AAAA", &v),
            Err(Failure::Malformed(_))
        ));
        assert!(matches!(
            e.finish("c=eSws,r=abcdef,p=AAAA", &v),
            Err(Failure::Malformed(_))
        ));
        assert_eq!(e.finish("c=biws,r=abcdef,p=AAAA", &v), Err(Failure::WrongPassword));
    }

    #[test]
    fn a_decoy_never_lets_in() {
        let secret = secret();
        let d = Verifier::decoy("nobody", &secret);
        assert_eq!(d, Verifier::decoy("nobody", &secret), "the same salt on each try");
        assert_ne!(d.salt, Verifier::decoy("somebody", &secret).salt);
    }
}
