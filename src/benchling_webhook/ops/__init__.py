"""Operations on a deployed or configured webhook: manifest, logs, status, smoke tests."""
