"""Weekly digests: what each channel gets (`build`), when (`schedule`), exactly once (`jobs`)."""
