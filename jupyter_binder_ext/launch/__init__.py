"""What was launched: repository, provider, ref and links (BinderHub's contract)."""
