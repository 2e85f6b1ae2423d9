"""Signing, apart from the documents signed: the installation's sealing identity, the officials' own keys and the
passphrase that authorises one signature (TTE), and the PAdES signatures themselves."""
