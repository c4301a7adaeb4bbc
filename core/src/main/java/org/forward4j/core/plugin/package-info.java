/** Plugin discovery: {@link java.util.ServiceLoader} loading with per-provider error reporting. */
package org.forward4j.core.plugin;
