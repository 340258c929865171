// Splitting path names into elements. Header-only and free of kernel
// state, so that the host unit tests check the same code the kernel runs.
#pragma once

#include <weft/fs.h>

#include "lib/result.h"

// Copy the next element of path into name (DIRSIZ + 1 bytes) and return the
// rest of the path with its leading slashes skipped, so that an empty rest
// means the element was the last. nullptr if no element is left. Repeated
// slashes anywhere are allowed: "//a///b/" is "a" then "b". An element
// longer than DIRSIZ is an error (NameTooLong), not truncated.
inline Result<const char*> next_element(const char* path, char* name) {
  while (*path == '/') path++;
  if (*path == '\0') return static_cast<const char*>(nullptr);
  const char* start = path;
  while (*path != '/' && *path != '\0') path++;
  size_t len = static_cast<size_t>(path - start);
  if (len > DIRSIZ) return Error::NameTooLong;
  for (size_t i = 0; i < len; i++) name[i] = start[i];
  name[len] = '\0';
  while (*path == '/') path++;
  return path;
}
