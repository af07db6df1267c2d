"""Field encryption: the master key file and envelope encryption with AES-256-GCM.

The only place that imports ``cryptography``. :mod:`.keyfile` creates and reads the key
file; :class:`.envelope.AesGcmFieldCipher` implements
:class:`~safeconduct.services.ports.FieldCipher`.
"""
