"""Schemathesis over every operation of an ASGI app's OpenAPI, one operation at a time.

The pytest integration of schemathesis 4 (``schemathesis.pytest.from_fixture``) fails under
pytest 9 (``'Function' object has no attribute '_nodeid'``), so this drives its library API
instead: ``APIOperation.as_strategy`` (positive and negative generation),
``get_strategies_from_examples`` (the documented examples), ``Case.call`` on the ASGI app and
``Case.validate_response`` with every default check of the installed schemathesis (``CHECKS`` is
None: whatever ``schemathesis run`` checks by default, positive_data_acceptance and
negative_data_rejection included), inside one Hypothesis test per operation and kind of input,
derandomized and writing no example database. The coverage phase's cases (boundary values,
missing headers, undocumented methods such as OPTIONS) come from schemathesis' own
``CoverageGenerator``, so unsupported_method and the Allow checks see them too.

A schema-valid request may still be refused for a reason only the world decides (an id that does
not exist, a time in the past): ``allowed_rejection`` says which refusals are such business
rules, and only those are spared positive_data_acceptance.

A run never stops at the first broken operation: every operation is fuzzed and every failure is
reported (``FuzzReport.problems``), so one red run lists all the fixes at once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import positive_data_acceptance

# None: the default checks of the installed schemathesis (all of its built-in checks, as
# `schemathesis run` without --checks), a new one included the day schemathesis adds it.
CHECKS = None
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# Sent as every path parameter of every operation, because random generation rarely hits them:
# a NUL (PostgreSQL text cannot hold one), a long id, dot segments, a percent, non-ASCII.
EDGE_PATH_VALUES = ("\x00", "ab\x00cd", "x" * 2000, "..", "%", "é", " ")

AnyCase = Case[Any]
Operation = APIOperation[Any, Any, Any, Any]
AfterCall = Callable[[AnyCase, schemathesis.Response], None]
# Whether a refusal of a schema-valid request is a listed business rule (not a schema gap).
AllowedRejection = Callable[[AnyCase, schemathesis.Response], bool]


@dataclass
class Credentials:
    """The API key a run sends; mutable so a run can adopt a rotated key (re-authenticate)."""

    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@dataclass
class OperationResult:
    label: str
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def calls(self) -> int:
        return sum(self.statuses.values())

    @property
    def succeeded(self) -> bool:
        return any(200 <= s < 300 for s in self.statuses)


@dataclass
class FuzzReport:
    results: dict[str, OperationResult] = field(default_factory=dict)
    schema_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        found = list(self.schema_errors)
        for result in self.results.values():
            found.extend(f"{result.label}: {failure}" for failure in result.failures)
        return found

    def summary(self) -> str:
        return "\n".join(
            f"{r.label}: {r.calls} calls in {r.seconds:.1f} s, "
            f"statuses {dict(sorted(r.statuses.items()))}"
            for r in self.results.values()
        )


def settings(max_examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max_examples,
        derandomize=True,  # same cases every run
        database=None,  # nothing written under .hypothesis/examples
        deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=(
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ),
        verbosity=hypothesis.Verbosity.quiet,
        print_blob=False,
    )


def operations(schema: schemathesis.BaseSchema, report: FuzzReport) -> list[Operation]:
    """Every operation of the schema; operations schemathesis cannot load are reported."""
    found: list[Operation] = []
    for result in schema.get_all_operations():
        if isinstance(result, Ok):
            found.append(result.ok())
        else:
            report.schema_errors.append(f"cannot load an operation: {result.err()}")
    return found


def fuzz_operation(
    operation: Operation,
    *,
    credentials: Credentials,
    max_examples: int,
    path_values: Mapping[str, Sequence[str]] = {},
    after_call: AfterCall | None = None,
    allowed_rejection: AllowedRejection | None = None,
) -> OperationResult:
    """Fuzz one operation: documented examples, positive and negative cases, known path ids.

    ``path_values`` maps a path parameter name to ids that exist in the caller's world, so the
    2xx answers of ``/things/{id}`` are checked too (random ids only ever meet a 404).
    """
    result = OperationResult(operation.label)
    started = time.perf_counter()

    def call(case: AnyCase, *, forced: bool = False) -> None:
        headers = credentials.headers
        response = case.call(headers=headers)
        result.statuses[response.status_code] += 1
        if after_call is not None:  # before validating: a rotated key is adopted even so
            after_call(case, response)
        # A forced edge value (NUL...) is not drawn from the schema: refusing it is right.
        spared = forced or (allowed_rejection is not None and allowed_rejection(case, response))
        case.validate_response(
            response,
            checks=CHECKS,
            excluded_checks=[positive_data_acceptance] if spared else None,
            headers=headers,
        )

    runs: list[tuple[str, st.SearchStrategy[AnyCase], int]] = []
    examples = operation.get_strategies_from_examples()
    if examples:
        runs.append(("examples", st.one_of(examples), max(3, len(examples))))
    for mode in MODES:
        runs.append((mode.value, operation.as_strategy(generation_mode=mode), max_examples))
    for fixed in _known_path_parameters(operation, path_values):
        strategy = operation.as_strategy(path_parameters=fixed)
        runs.append((f"positive with {fixed}", strategy, max(5, max_examples // 5)))
    for fixed in _edge_path_parameters(operation):
        runs.append((f"edge path {fixed}", operation.as_strategy(path_parameters=fixed), 2))

    for name, strategy, count in runs:
        try:
            _run(strategy, count, partial(call, forced=name.startswith("edge path")))
        except Unsatisfiable:
            # Fine for negative mode only: nothing in the operation can be made invalid (a
            # free-form string path parameter, say).
            if name != GenerationMode.NEGATIVE.value:
                result.failures.append(f"[{name}] no case could be generated")
        except (Exception, FailureGroup) as exc:  # every failure, with its reproduction
            result.failures.append(f"[{name}] {exc}")
    seen: set[str] = set()
    for case in _coverage_cases(operation):
        try:
            call(case)
        except (Exception, FailureGroup) as exc:  # one report per distinct failure
            text = f"[coverage] {exc}"
            if text not in seen:
                seen.add(text)
                result.failures.append(text)
    result.seconds = time.perf_counter() - started
    return result


def _run(strategy: st.SearchStrategy[AnyCase], count: int, call: Callable[[AnyCase], None]) -> None:
    @settings(count)
    @hypothesis.given(case=strategy)
    def run(case: AnyCase) -> None:
        call(case)

    run()


def _coverage_cases(operation: Operation) -> list[AnyCase]:
    """The cases of schemathesis' coverage phase for this operation (both modes)."""
    config = operation.schema.config.generation_for(operation=operation, phase="coverage")
    generator = CoverageGenerator(
        operation=operation,
        generation_modes=list(MODES),
        generation_config=config,
        auth_storage=None,
        override=Override(),
        feedback=NO_FEEDBACK,
    )
    return list(generator)


def _edge_path_parameters(operation: Operation) -> Iterable[dict[str, str]]:
    names = [p.name for p in operation.path_parameters]
    if not names:
        return []
    return [dict.fromkeys(names, value) for value in EDGE_PATH_VALUES]


def _known_path_parameters(
    operation: Operation, path_values: Mapping[str, Sequence[str]]
) -> Iterable[dict[str, str]]:
    names = [p.name for p in operation.path_parameters]
    if not names or any(n not in path_values for n in names):
        return []
    first = names[0]
    return [
        {first: value, **{n: path_values[n][0] for n in names[1:]}} for value in path_values[first]
    ]
