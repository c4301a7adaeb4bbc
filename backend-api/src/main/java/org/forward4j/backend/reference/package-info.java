/** The pure-Java {@code reference} backend: exact, portable and slow. */
package org.forward4j.backend.reference;
