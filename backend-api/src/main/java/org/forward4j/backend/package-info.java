/** Evaluation backends: where query plans run (docs/method.md §6). */
package org.forward4j.backend;
