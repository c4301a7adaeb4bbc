/**
 * The {@code forward4j} command line (picocli): {@code train}, {@code evaluate}, {@code compare}, {@code bench},
 * {@code plugins}.
 */
package org.forward4j.cli;
