"""What every capability shares: the vocabulary (model), command routing (router), parsing what
members type (args), errors, the clock, the outbox, the generic job runner (scheduler), the
taxonomy and its matcher, the privacy sections' machinery, member set-up and shared wording.
Nothing here imports a capability package."""
