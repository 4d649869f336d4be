using System.Net;
using System.Net.Sockets;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>A free TCP port on loopback, found by binding port 0 and letting go.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
