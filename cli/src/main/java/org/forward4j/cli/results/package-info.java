/** Results files of training runs (CSV and JSON). */
package org.forward4j.cli.results;
