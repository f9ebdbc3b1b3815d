"""Access: users and roles, the policy table, password hashes and session tokens.

Imports nothing of Hotline but ``events``; the web side and call control both ask ``may``.
"""

from hotline.access.passwords import check_password, hash_password, is_password_hash
from hotline.access.policy import ACTIONS, RULES, Action, Scope, Target, Visible, may, visible
from hotline.access.tokens import new_token, token_digest
from hotline.access.users import Language, Role, User, user_problems

__all__ = [
    "ACTIONS",
    "RULES",
    "Action",
    "Language",
    "Role",
    "Scope",
    "Target",
    "User",
    "Visible",
    "check_password",
    "hash_password",
    "is_password_hash",
    "may",
    "new_token",
    "token_digest",
    "user_problems",
    "visible",
]
