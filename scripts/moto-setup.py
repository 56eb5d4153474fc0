"""Makes in moto (the AWS emulator) what infra/softphone.yaml makes on AWS, minus the table
(`server dynamodb create-table` makes that): the recordings bucket, and the Cognito user pool
with its `admin` group and public app client. Prints `<pool id> <client id>`.

Usage: python moto-setup.py <moto endpoint> <bucket> [<pool name>]  (moto's venv has boto3)
"""
import sys

import boto3

endpoint, bucket = sys.argv[1], sys.argv[2]
pool_name = sys.argv[3] if len(sys.argv) > 3 else "softphone"
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="test", aws_secret_access_key="test")
boto3.client("s3", **kw).create_bucket(Bucket=bucket)
idp = boto3.client("cognito-idp", **kw)
pool = idp.create_user_pool(
    PoolName=pool_name, UsernameAttributes=["email"], AutoVerifiedAttributes=["email"],
    Policies={"PasswordPolicy": {"MinimumLength": 8, "RequireUppercase": True,
                                 "RequireLowercase": True, "RequireNumbers": True,
                                 "RequireSymbols": True}})["UserPool"]["Id"]
idp.create_group(UserPoolId=pool, GroupName="admin")
client = idp.create_user_pool_client(
    UserPoolId=pool, ClientName="softphone", GenerateSecret=False,
    ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
)["UserPoolClient"]["ClientId"]
print(pool, client)
