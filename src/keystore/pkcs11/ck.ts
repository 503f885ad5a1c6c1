/**
 * The PKCS#11 constants the token store uses (values from the PKCS#11 v2.40 headers).
 *
 * Defined here rather than read from the addon so templates can be built and tested without
 * the optional native module, and so no code depends on how pkcs11js exposes them under ESM
 * (a namespace import leaves them all undefined: deps.md §5). A unit test checks them against
 * the addon's values.
 */
export const CKO_CERTIFICATE = 0x1;
export const CKO_PUBLIC_KEY = 0x2;
export const CKO_PRIVATE_KEY = 0x3;

export const CKA_CLASS = 0x0;
export const CKA_TOKEN = 0x1;
export const CKA_PRIVATE = 0x2;
export const CKA_LABEL = 0x3;
export const CKA_VALUE = 0x11;
export const CKA_CERTIFICATE_TYPE = 0x80;
export const CKA_KEY_TYPE = 0x100;
export const CKA_SUBJECT = 0x101;
export const CKA_ID = 0x102;
export const CKA_SENSITIVE = 0x103;
export const CKA_SIGN = 0x108;
export const CKA_VERIFY = 0x10a;
export const CKA_EXTRACTABLE = 0x162;
export const CKA_EC_PARAMS = 0x180;
export const CKA_EC_POINT = 0x181;
/** Yubico's ykcs11 reads the PIV touch/PIN policy from this attribute (Go notary sets 3). */
export const CKA_VENDOR_DEFINED = 0x80000000;

export const CKC_X_509 = 0x0;
/** CKK_EC and CKK_ECDSA are the same value. */
export const CKK_EC = 0x3;

export const CKM_EC_KEY_PAIR_GEN = 0x1040;
export const CKM_ECDSA = 0x1041;

export const CKU_SO = 0;
export const CKU_USER = 1;

export const CKF_RW_SESSION = 0x2;
export const CKF_SERIAL_SESSION = 0x4;

/** CK_TOKEN_INFO flags. */
export const CKF_TOKEN_INITIALIZED = 0x400;
export const CKF_USER_PIN_FINAL_TRY = 0x20000;
export const CKF_USER_PIN_LOCKED = 0x40000;
export const CKF_SO_PIN_FINAL_TRY = 0x200000;
export const CKF_SO_PIN_LOCKED = 0x400000;

/** DER OID prime256v1, the only curve notary puts on a token (CKA_EC_PARAMS). */
export const P256_EC_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');

/** Go notary's default key mode for imported keys: touch + PIN once. */
export const YUBIKEY_KEYMODE_TOUCH_PIN_ONCE = 3;
