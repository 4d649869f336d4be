using Microsoft.Extensions.Options;

namespace MqttIoT.Gateway.Backends.OpcUa;

/// <summary>The <c>[Required]</c> checks of <see cref="OpcUaStationOptions"/>, source-generated.</summary>
[OptionsValidator]
internal sealed partial class OpcUaStationOptionsValidator : IValidateOptions<OpcUaStationOptions>;
