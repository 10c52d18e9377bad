"""Paper and files for humans: formal-notice letters, postal letters, dossiers, GDPR erasure."""
