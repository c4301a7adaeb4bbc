/** Evaluation backends: where query plans run (method.md §6). */
package org.forward4j.backend;
