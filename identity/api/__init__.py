"""Identity's routes, one module per flow, gathered flat in ``routers``."""

from identity.api.aua import router as aua_router
from identity.api.auth import hot_router as auth_hot_router
from identity.api.auth import router as auth_router
from identity.api.biometrics import router as biometrics_router
from identity.api.certificate import router as certificate_router
from identity.api.ekyc import router as ekyc_router
from identity.api.offline import router as offline_router
from identity.api.otp import router as otp_router
from identity.api.records import router as records_router
from identity.api.uidai import router as uidai_router
from identity.api.vids import router as vids_router

routers = [
    certificate_router,
    otp_router,
    auth_router,
    ekyc_router,
    records_router,
    vids_router,
    biometrics_router,
    offline_router,
    uidai_router,
    aua_router,
]

hot_routers = [auth_hot_router]
