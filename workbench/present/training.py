"""Step mode for trainers: the question to ask before revealing the next hop of a chain."""
from __future__ import annotations

import random
import zlib
from dataclasses import dataclass

ORIGIN = "Its own customer (origin found)"
NOT_FOUND = "No matching record: the chain stalls"
UNMAPPED = "Can't tell: the ingress is in neither table"


@dataclass
class StepQuestion:
    hop: int  # the hop whose upstream is asked for
    prompt: str
    choices: list[str]
    answer: str
    explanation: str


def answer_of(result, index: int) -> str:
    hop = result.hops[index]
    if not hop.found:
        return NOT_FOUND
    if hop.customer:
        return ORIGIN
    return hop.upstream or UNMAPPED


def question(case, result, index: int, *, k: int = 4, seed: int | None = None) -> StepQuestion:
    """Ask which provider handed hop ``index`` its call, with the answer among distractors."""
    hop = result.hops[index]
    answer = answer_of(result, index)
    rng = random.Random(seed if seed is not None else
                        zlib.crc32(f"{result.called}|{result.at_us}|{index}".encode()))
    pool = sorted({case.directory.canonical(p) for p in case.directory.providers} -
                  {hop.provider, answer})
    rng.shuffle(pool)
    choices = [answer] + pool[:max(k - 2, 1)]
    for extra in (ORIGIN, NOT_FOUND):
        if extra not in choices:
            choices.append(extra)
            break
    rng.shuffle(choices)
    if hop.found:
        prompt = (f"{hop.provider}'s record of this call (line {hop.line}) came in on ingress "
                  f"'{hop.ingress}'. Who handed it over?")
    else:
        prompt = f"Does {hop.provider} hold a record of this call, and who handed it over?"
    return StepQuestion(index, prompt, choices, answer, explain(result, index))


def explain(result, index: int) -> str:
    hop = result.hops[index]
    if not hop.found:
        return (f"{hop.provider} has no record of the call within the search window"
                if hop.source else f"the case holds no CDRs from {hop.provider}")
    if hop.customer:
        return (f"{hop.provider}'s table of customer trunks maps ingress '{hop.ingress}' to "
                f"its customer {hop.customer}: the call started here")
    if hop.upstream:
        return (f"{hop.provider}'s table of upstream trunks maps ingress '{hop.ingress}' to "
                f"{hop.upstream}")
    return (f"ingress '{hop.ingress}' is in neither {hop.provider}'s table of upstream trunks "
            "nor its table of customer trunks")
