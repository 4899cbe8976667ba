// OCF-style meta-data of the built-in agents: the same document shape and the same
// actions for each, only the name, descriptions and parameters differ.

export interface ParameterDoc {
  name: string;
  required?: boolean;
  unique?: boolean;
  type: 'string' | 'integer';
  default?: string;
  description: string;
}

function parameterXml(parameter: ParameterDoc): string {
  const content = `<content type="${parameter.type}"${parameter.default === undefined ? '' : ` default="${parameter.default}"`}/>`;
  return `    <parameter name="${parameter.name}" required="${parameter.required ? 1 : 0}" unique="${parameter.unique ? 1 : 0}">${content}<shortdesc lang="en">${parameter.description}</shortdesc></parameter>`;
}

export function builtinMetadata(name: string, shortdesc: string, longdesc: string, parameters: ParameterDoc[]): string {
  return `<?xml version="1.0"?>
<resource-agent name="${name}" version="1.0">
  <version>1.1</version>
  <shortdesc lang="en">${shortdesc}</shortdesc>
  <longdesc lang="en">${longdesc}</longdesc>
  <parameters>
${parameters.map(parameterXml).join('\n')}
  </parameters>
  <actions>
    <action name="start" timeout="20s"/><action name="stop" timeout="20s"/><action name="monitor" timeout="20s" interval="10s"/>
    <action name="meta-data" timeout="5s"/><action name="validate-all" timeout="5s"/>
  </actions>
</resource-agent>
`;
}
