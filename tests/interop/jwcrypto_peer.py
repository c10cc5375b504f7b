"""The JWS peer for kyoten's interop tests: python jwcrypto (PyPI), as integrators use it.

  verify PEM_FILE ALG        reads a compact JWS on stdin, verifies it with the public key
                             (only ALG allowed), prints the payload
  sign ALG KID TYP           generates a key, signs the JSON payload read on stdin, prints
                             {"pem": public key PEM, "jws": compact JWS}
"""
import json
import sys

from jwcrypto import jwk, jws
from jwcrypto.common import json_encode


def new_key(alg):
    if alg == "ES256":
        return jwk.JWK.generate(kty="EC", crv="P-256")
    if alg in ("Ed25519", "EdDSA"):
        return jwk.JWK.generate(kty="OKP", crv="Ed25519")
    return jwk.JWK.generate(kty="RSA", size=2048)


def main():
    command = sys.argv[1]
    if command == "verify":
        pem_file, alg = sys.argv[2], sys.argv[3]
        with open(pem_file, "rb") as f:
            key = jwk.JWK.from_pem(f.read())
        token = jws.JWS()
        token.allowed_algs = [alg]
        token.deserialize(sys.stdin.read().strip())
        token.verify(key)
        sys.stdout.write(token.payload.decode("utf-8"))
    elif command == "sign":
        alg, kid, typ = sys.argv[2], sys.argv[3], sys.argv[4]
        key = new_key(alg)
        token = jws.JWS(sys.stdin.read().encode("utf-8"))
        token.allowed_algs = [alg]
        token.add_signature(key, alg, protected=json_encode({"alg": alg, "kid": kid, "typ": typ}))
        pem = key.export_to_pem(private_key=False).decode("ascii")
        print(json.dumps({"pem": pem, "jws": token.serialize(compact=True)}))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
