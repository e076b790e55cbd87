"""The audit log: who did what to which entity, and when (as precisely as the policy allows)."""
