using System.Runtime.CompilerServices;

// Tmds.DBus implements the proxy interfaces in a dynamic assembly; they stay internal to the gateway.
[assembly: InternalsVisibleTo(Tmds.DBus.Connection.DynamicAssemblyName)]
