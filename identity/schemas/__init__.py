"""Wire models of identity: the JSON rendition of the OTP API 2.5 and the Auth API 2.5."""
