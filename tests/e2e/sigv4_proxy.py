"""AWS Signature Version 4 for the S3 and SQS tests, in the standard library only.

Neither s3rver nor sqslite verifies signatures, so SigV4Proxy stands in front of them: it
recomputes the signature of every request from the AWS spec (canonical request, string to sign,
signing key), answers 403 SignatureDoesNotMatch when the Authorization header differs (or signs
for another service than `service`), and otherwise forwards the request. `signed_request` is the
matching client, used to read objects back.
"""
import hashlib
import hmac
import http.client
import http.server
import threading
import urllib.parse
from datetime import datetime, timezone

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _uri_encode(text, keep_slash):
    safe = "-_.~" + ("/" if keep_slash else "")
    return urllib.parse.quote(text, safe=safe)


def canonical_query(query):
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    encoded = sorted((_uri_encode(k, False), _uri_encode(v, False)) for k, v in pairs)
    return "&".join("%s=%s" % pair for pair in encoded)


def signature(secret, method, path, query, headers, signed_names, amz_date, region, service,
              payload_hash):
    """headers: lower-case name -> value. Returns (hex signature, canonical request)."""
    canonical_headers = "".join("%s:%s\n" % (name, " ".join(headers.get(name, "").split()))
                                for name in signed_names)
    canonical_request = "\n".join([method, path, canonical_query(query), canonical_headers,
                                   ";".join(signed_names), payload_hash])
    date = amz_date[:8]
    scope = "%s/%s/%s/aws4_request" % (date, region, service)
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode("utf-8"), date), region), service),
                "aws4_request")
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest(), canonical_request


def signed_request(endpoint_port, method, path, access_key, secret, region="us-east-1", query="",
                   body=b""):
    """A SigV4-signed request to 127.0.0.1:port; returns (status, headers dict, body bytes)."""
    amz_date = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    payload_hash = hashlib.sha256(body).hexdigest()
    headers = {"host": "127.0.0.1:%d" % endpoint_port, "x-amz-date": amz_date,
               "x-amz-content-sha256": payload_hash}
    names = sorted(headers)
    sig, _ = signature(secret, method, path, query, headers, names, amz_date, region, "s3",
                       payload_hash)
    headers["authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s/%s/s3/aws4_request, "
                                "SignedHeaders=%s, Signature=%s"
                                % (access_key, amz_date[:8], region, ";".join(names), sig))
    connection = http.client.HTTPConnection("127.0.0.1", endpoint_port, timeout=10)
    try:
        connection.request(method, path + ("?" + query if query else ""), body=body or None,
                           headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def verify(authorization, method, path, query, headers, secrets, body=b"", service_wanted=None):
    """Returns None when the Authorization header is a valid signature, else the reason."""
    if not authorization.startswith("AWS4-HMAC-SHA256 "):
        return "missing or non-SigV4 Authorization header"
    fields = dict(part.strip().split("=", 1) for part in authorization[17:].split(","))
    access_key, date, region, service, _ = fields["Credential"].split("/")
    if service_wanted is not None and service != service_wanted:
        return "signed for service %r, not %r" % (service, service_wanted)
    secret = secrets.get(access_key)
    if secret is None:
        return "unknown access key " + access_key
    signed_names = fields["SignedHeaders"].split(";")
    amz_date = headers.get("x-amz-date", "")
    if amz_date[:8] != date:
        return "x-amz-date does not match the credential scope"
    # S3 signs the x-amz-content-sha256 header's value; other services the body's hash.
    payload_hash = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    expected, canonical = signature(secret, method, path, query, headers, signed_names, amz_date,
                                    region, service, payload_hash)
    if not hmac.compare_digest(expected, fields["Signature"]):
        return "signature mismatch; canonical request was:\n" + canonical
    return None


class SigV4Proxy:
    """A verifying reverse proxy on a free port in front of 127.0.0.1:upstream_port."""

    def __init__(self, upstream_port, secrets, service=None, upstream_host=None):
        """service: reject signatures for another service. upstream_host: the Host header sent
        upstream (sqslite only knows queue URLs on "localhost:<port>")."""
        self.rejected = []  # reasons, for failure messages
        self.forwarded = 0
        self.upstream_failures = 0  # requests answered 502 because the upstream was down
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, and "100 Continue" for curl's Expect

            def _handle(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                headers = {k.lower(): v for k, v in self.headers.items()}
                reason = verify(headers.get("authorization", ""), self.command, path, query,
                                headers, secrets, body, service)
                # S3 requires x-amz-content-sha256; other services take it when present.
                optional = (None,) if service not in (None, "s3") else ()
                if reason is None and headers.get("x-amz-content-sha256") not in optional + (
                        hashlib.sha256(body).hexdigest(), "UNSIGNED-PAYLOAD"):
                    reason = "x-amz-content-sha256 does not match the body"
                if reason is not None:
                    proxy.rejected.append(reason)
                    answer = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error>"
                              "<Code>SignatureDoesNotMatch</Code><Message>The request signature we "
                              "calculated does not match the signature you provided.</Message>"
                              "</Error>").encode()
                    self.send_response(403)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                proxy.forwarded += 1
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=10)
                try:
                    forward = {k: v for k, v in self.headers.items()
                               if k.lower() not in ("expect", "connection")}
                    if upstream_host:
                        forward = {k: v for k, v in forward.items() if k.lower() != "host"}
                        forward["Host"] = upstream_host
                    try:
                        upstream.request(self.command, self.path, body=body or None,
                                         headers=forward)
                        response = upstream.getresponse()
                        data = response.read()
                    except OSError as error:  # upstream down: a gateway error, as a proxy would
                        proxy.upstream_failures += 1
                        answer = ("upstream: %s" % error).encode()
                        self.send_response(502)
                        self.send_header("Content-Length", str(len(answer)))
                        self.end_headers()
                        self.wfile.write(answer)
                        return
                    self.send_response(response.status)
                    for name, value in response.getheaders():
                        if name.lower() not in ("transfer-encoding", "connection", "keep-alive",
                                                "content-length"):
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    upstream.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
