"""Security headers on every response; Secure cookies behind https.

A NewResponse subscriber, because it runs after the response callbacks that
set the session cookie."""
from pyramid.events import NewResponse, subscriber

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; frame-ancestors 'self'; form-action 'self'")


@subscriber(NewResponse)
def secure_headers(event):
    request, response = event.request, event.response
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("Referrer-Policy", "same-origin")
    if response.content_type == "text/html":
        headers.setdefault("Content-Security-Policy", CSP)
    if request.scheme == "https":
        cookies = headers.getall("Set-Cookie")
        if cookies:
            del headers["Set-Cookie"]
            for cookie in cookies:
                if "; secure" not in cookie.lower():
                    cookie += "; Secure"
                headers.add("Set-Cookie", cookie)
