"""Identity's use cases, one module per flow: ``otp`` (OTP API 2.5), ``auth`` (Auth API 2.5,
prepared off the unit of work in ``prepare``), ``records`` (the audit trail), ``keys`` (the
authority's auth key and certificate). ``people`` holds what they share about residents."""
