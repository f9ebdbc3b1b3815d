"""Queueing theory to hold the simulator against, from the textbook formulas.

Erlang C (M/M/n): probability of waiting, mean wait, service level. Erlang A (M/M/n+M, Palm's
model with exponential patience), after Mandelbaum and Zeltyn: with E1 the Erlang B blocking
probability for n servers and load lambda/mu, rho = lambda/(n mu), and
A(x, y) = x e^y y^-x gamma(x, y) (gamma: the lower incomplete gamma function),

    P(W > 0) = A E1 / (1 + (A - 1) E1)        with A = A(n mu / theta, lambda / theta)
    P(Ab)    = (1 / (rho A) + 1 - 1 / rho) P(W > 0)

A(x, y) is summed from the series of the incomplete gamma function:
A(x, y) = sum_k y^k / ((x + 1)(x + 2)...(x + k)), all terms positive, so it converges cleanly.
``birth_death`` solves the same model as a truncated Markov chain to check the formulas.
"""

from __future__ import annotations

import math


def erlang_b(servers: int, load: float) -> float:
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arriving caller waits (load < servers)."""
    b = erlang_b(servers, load)
    rho = load / servers
    return b / (1.0 - rho * (1.0 - b))


def erlang_c_asa(servers: int, arrival_rate: float, handle: float) -> float:
    load = arrival_rate * handle
    return erlang_c(servers, load) * handle / (servers - load)


def erlang_c_service_level(servers: int, arrival_rate: float, handle: float, t: float) -> float:
    """P(wait <= t) = answered within t / offered, nobody abandoning."""
    load = arrival_rate * handle
    return 1.0 - erlang_c(servers, load) * math.exp(-(servers - load) * t / handle)


def _a(x: float, y: float) -> float:
    total, term, k = 1.0, 1.0, 0
    while term > 1e-16 * total:
        k += 1
        term *= y / (x + k)
        total += term
    return total


def erlang_a(
    servers: int, arrival_rate: float, handle: float, patience: float
) -> tuple[float, float]:
    """(P(W > 0), P(abandon)) for M/M/n+M."""
    mu, theta = 1.0 / handle, 1.0 / patience
    e1 = erlang_b(servers, arrival_rate / mu)
    a = _a(servers * mu / theta, arrival_rate / theta)
    p_wait = a * e1 / (1.0 + (a - 1.0) * e1)
    rho = arrival_rate / (servers * mu)
    return p_wait, (1.0 / (rho * a) + 1.0 - 1.0 / rho) * p_wait


def birth_death(
    servers: int, arrival_rate: float, handle: float, patience: float, states: int = 2000
) -> tuple[float, float]:
    """The same (P(W > 0), P(abandon)) from the stationary law of the M/M/n+M chain."""
    mu, theta = 1.0 / handle, 1.0 / patience
    weights = [1.0]
    for k in range(1, states):
        death = min(k, servers) * mu + max(k - servers, 0) * theta
        weights.append(weights[-1] * arrival_rate / death)
    total = math.fsum(weights)
    p = [w / total for w in weights]
    p_wait = math.fsum(p[servers:])  # PASTA: arrivals see the time average
    queue_length = math.fsum((k - servers) * p[k] for k in range(servers, states))
    return p_wait, theta * queue_length / arrival_rate
