"""What BinderHub will build from the repository, what was installed since launch, keeping it."""
