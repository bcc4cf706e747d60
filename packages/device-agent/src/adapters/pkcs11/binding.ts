// The slice of pkcs11js the agent uses, as an interface: the real module (pkcs11js.PKCS11) fits
// it, and unit tests pass a fake that can say "locked" or "wrong PIN" (SoftHSM never locks).
import pkcs11js from 'pkcs11js';

export type Handle = Buffer;

export interface TokenInfoView {
  readonly label: string;
  readonly serialNumber: string;
  readonly model: string;
  readonly manufacturerID: string;
  readonly flags: number;
}

export interface AttributeView {
  type: number;
  value?: number | boolean | string | Buffer | null;
}

export interface Pkcs11Binding {
  load(path: string): void;
  C_Initialize(): void;
  C_Finalize(): void;
  C_GetSlotList(tokenPresent?: boolean): Handle[];
  C_GetTokenInfo(slot: Handle): TokenInfoView;
  C_OpenSession(slot: Handle, flags: number): Handle;
  C_CloseSession(session: Handle): void;
  C_Login(session: Handle, userType: number, pin?: string): void;
  C_Logout(session: Handle): void;
  C_FindObjectsInit(session: Handle, template: AttributeView[]): void;
  C_FindObjects(session: Handle, maxObjectCount: number): Handle[];
  C_FindObjectsFinal(session: Handle): void;
  C_GetAttributeValue(session: Handle, object: Handle, template: AttributeView[]): AttributeView[];
  C_SignInit(session: Handle, mechanism: { mechanism: number }, key: Handle): void;
  C_Sign(session: Handle, inData: Buffer, outData: Buffer): Buffer;
  /** The same on libuv's thread pool: a slow USB key does not block the event loop. */
  C_SignAsync?(session: Handle, inData: Buffer, outData: Buffer): Promise<Buffer>;
  C_GenerateKeyPair(
    session: Handle,
    mechanism: { mechanism: number },
    publicTemplate: AttributeView[],
    privateTemplate: AttributeView[],
  ): { publicKey: Handle; privateKey: Handle };
}

/** A fresh binding on the real pkcs11js module (the library is loaded by `load`). */
export function createPkcs11jsBinding(): Pkcs11Binding {
  return new pkcs11js.PKCS11() as unknown as Pkcs11Binding;
}

/** The PKCS#11 constants the adapter uses, from pkcs11js (numbers from the standard). */
export const P = {
  CKF_SERIAL_SESSION: pkcs11js.CKF_SERIAL_SESSION,
  CKF_RW_SESSION: pkcs11js.CKF_RW_SESSION,
  CKU_USER: pkcs11js.CKU_USER,
  CKO_PRIVATE_KEY: pkcs11js.CKO_PRIVATE_KEY,
  CKO_PUBLIC_KEY: pkcs11js.CKO_PUBLIC_KEY,
  CKK_EC: pkcs11js.CKK_EC,
  CKA_CLASS: pkcs11js.CKA_CLASS,
  CKA_KEY_TYPE: pkcs11js.CKA_KEY_TYPE,
  CKA_LABEL: pkcs11js.CKA_LABEL,
  CKA_ID: pkcs11js.CKA_ID,
  CKA_TOKEN: pkcs11js.CKA_TOKEN,
  CKA_PRIVATE: pkcs11js.CKA_PRIVATE,
  CKA_SENSITIVE: pkcs11js.CKA_SENSITIVE,
  CKA_EXTRACTABLE: pkcs11js.CKA_EXTRACTABLE,
  CKA_SIGN: pkcs11js.CKA_SIGN,
  CKA_VERIFY: pkcs11js.CKA_VERIFY,
  CKA_DECRYPT: pkcs11js.CKA_DECRYPT,
  CKA_UNWRAP: pkcs11js.CKA_UNWRAP,
  CKA_DERIVE: pkcs11js.CKA_DERIVE,
  CKA_ENCRYPT: pkcs11js.CKA_ENCRYPT,
  CKA_WRAP: pkcs11js.CKA_WRAP,
  CKA_EC_PARAMS: pkcs11js.CKA_EC_PARAMS,
  CKA_EC_POINT: pkcs11js.CKA_EC_POINT,
  CKA_VALUE: pkcs11js.CKA_VALUE,
  CKM_EC_KEY_PAIR_GEN: pkcs11js.CKM_EC_KEY_PAIR_GEN,
  CKM_ECDSA: pkcs11js.CKM_ECDSA,
  CKR_CRYPTOKI_ALREADY_INITIALIZED: pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED,
} as const;

/** The PKCS#11 return value carried by an error from the binding, if any. */
export function ckrOf(error: unknown): number | null {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return null;
}

/** Strips the blank padding PKCS#11 puts on fixed-width strings. */
export function unpad(text: string): string {
  return text.replace(/[\s\0]+$/u, '');
}
