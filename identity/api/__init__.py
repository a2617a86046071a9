"""Identity's routes, one module per flow, gathered flat in ``routers``."""

from identity.api.auth import router as auth_router
from identity.api.biometrics import router as biometrics_router
from identity.api.certificate import router as certificate_router
from identity.api.otp import router as otp_router
from identity.api.records import router as records_router

routers = [certificate_router, otp_router, auth_router, records_router, biometrics_router]
