/** Configuration sources and their precedence. */
package org.forward4j.core.config;
