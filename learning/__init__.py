"""Learning reviews, actions proved to work, patterns, bulletins and case studies."""
