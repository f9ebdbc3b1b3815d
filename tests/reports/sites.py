"""Configurations of small sites for the reports tests: agent extensions 201, 202... and
queues of them, in a time zone."""

from __future__ import annotations


def site(timezone: str, agents: int, queues: dict[str, list[str]], extra: str = "") -> str:
    """TOML for ``agents`` agent extensions (201 up) and ``queues`` (number: its agents)."""
    lines = [f'[server]\ntimezone = "{timezone}"\n{extra}']
    lines += [f'[[extensions]]\nnumber = "{201 + n}"\npassword = "secret{n + 1}"\nagent = true\n'
              for n in range(agents)]  # fmt: skip
    lines += [f'[[queues]]\nnumber = "{number}"\nagents = {members}\nstrategy = "longest_waiting"\n'
              for number, members in queues.items()]  # fmt: skip
    return "\n".join(lines)
