/**
 * What every forward4j plugin kind shares: the {@link org.forward4j.plugin.PluginProvider} contract discovered
 * through {@link java.util.ServiceLoader}, validated {@link org.forward4j.plugin.Settings}, and the single
 * exception hierarchy rooted at {@link org.forward4j.plugin.Forward4jException}.
 */
package org.forward4j.plugin;
