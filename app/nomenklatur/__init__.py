"""The official sub kegiatan nomenclature: reading SIPD exports and storing versions."""
