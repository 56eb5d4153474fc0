"""Prints the settings infra/softphone.yaml's GatewaySettings parameter would hold (dotenv lines),
for one GatewayTrunk value, with stand-ins for what the stack makes (table, pool, Elastic IP...):
what the gateway instance's softphone-env writes, less the secrets and its private address.
scripts/package-smoke.sh starts the packaged server with them to prove the server takes them.

    python gateway-settings.py infra/softphone.yaml voice-connector|simulator [turn]

Needs PyYAML (the cfn-lint venv has it). Resolves only what GatewaySettings uses: Ref, Sub,
Join, If on the template's gateway conditions, FindInMap.
"""

import re
import sys

import yaml


class TemplateLoader(yaml.SafeLoader):
    pass


def _tag(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        return {name: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}


TemplateLoader.add_multi_constructor("!", _tag)

STAND_INS = {
    "AWS::Region": "us-east-1",
    "AWS::StackName": "softphone",
    "GatewayDomainName": "phone.example.com",
    "GatewayCallerId": "+6560000000",
    "GatewayEip": "203.0.113.7",
    "Table": "softphone-Table-ABC123",
    "UserPool": "us-east-1_AbC123xyz",
    "UserPoolClient": "1example23456789",
    "RecordingsBucket": "softphone-recordingsbucket-abc123",
    "VoiceConnector.OutboundHostName": "abcdef1ghij2klmno3pqr4.voiceconnector.chime.aws",
    "VoiceConnectorRegion": "us-east-1",
    # The template's defaults.
    "SignUp": "open",
    "SignUpDomains": "",
    "SignUpApproval": "none",
}


def resolve(value, names, conditions):
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return [resolve(v, names, conditions) for v in value]
    (fn, arg), = value.items()
    if fn == "Ref":
        return names[arg]
    if fn == "Fn::If":
        condition, then, otherwise = arg
        return resolve(then if conditions[condition] else otherwise, names, conditions)
    if fn == "Fn::Join":
        separator, items = arg
        return separator.join(resolve(items, names, conditions))
    if fn == "Fn::FindInMap":
        mapping, key, attribute = resolve(arg, names, conditions)
        return names["Mappings"][mapping][key][attribute]
    if fn == "Fn::Sub":
        text, local = (arg, {}) if isinstance(arg, str) else arg
        scope = dict(names, **{k: resolve(v, names, conditions) for k, v in local.items()})
        return re.sub(r"\$\{([^}]+)\}", lambda m: scope[m.group(1)], text)
    raise SystemExit(f"gateway-settings.py: {fn} is not handled")


def main():
    template_path, trunk = sys.argv[1], sys.argv[2]
    turn = len(sys.argv) > 3 and sys.argv[3] == "turn"
    with open(template_path, encoding="utf-8") as f:
        template = yaml.load(f, Loader=TemplateLoader)
    names = dict(STAND_INS, GatewayTrunk=trunk, Mappings=template["Mappings"])
    conditions = {
        "UseGateway": True,
        "GatewayMakesConnector": trunk == "voice-connector",
        "GatewayToSimulator": trunk == "simulator",
        "UseTurn": turn,
        "HasSignUpDomains": False,
    }
    value = template["Resources"]["GatewaySettings"]["Properties"]["Value"]
    print(resolve(value, names, conditions))


if __name__ == "__main__":
    main()
