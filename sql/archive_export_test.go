package chstore

// ArchiveBlockBytes lets the external tests size files against the archive's blocks.
const ArchiveBlockBytes = archiveBlockBytes
