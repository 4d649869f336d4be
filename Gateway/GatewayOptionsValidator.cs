using Microsoft.Extensions.Options;

namespace MqttIoT.Gateway;

/// <summary>The <c>[Range]</c>/<c>[Required]</c> checks of <see cref="GatewayOptions"/> and its <c>Mqtt</c> section, source-generated.</summary>
[OptionsValidator]
internal sealed partial class GatewayOptionsValidator : IValidateOptions<GatewayOptions>;
