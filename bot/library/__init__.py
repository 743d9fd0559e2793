"""The knowledge admin's library: uploads, deletes, re-index, drafts."""
