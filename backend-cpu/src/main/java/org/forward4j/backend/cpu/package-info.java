/** The {@code cpu} backend: query plans as batched ND4J matrix products (docs/method.md §6). */
package org.forward4j.backend.cpu;
